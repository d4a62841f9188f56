#include "text/vocab_files.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "tessera/error.h"
#include "text/utf8.h"

namespace tessera::text {
namespace {

constexpr std::streamoff kMaxVocabFileBytes = 256ll << 20;  // real files are 1-4 MB

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open tokenizer file");
  const std::streamoff size = in.tellg();
  if (size < 0 || size > kMaxVocabFileBytes) {
    throw Error(path + ": tokenizer file size " + std::to_string(size) + " is not plausible");
  }
  std::string data(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(data.data(), size)) throw Error(path + ": cannot read tokenizer file");
  return data;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict standard base64 with padding; returns false on any malformed input.
bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  if (in == "=")
    return true;  // multilingual.tiktoken's empty token at rank 50256 (Python reads b"")
  if (in.empty() || in.size() % 4 != 0) return false;
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
      } else if (pad > 0 || (v[k] = base64_value(c)) < 0) {
        return false;
      }
    }
    const uint32_t bits = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(bits >> 16));
    if (pad < 2) out.push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(bits & 0xFF));
  }
  return true;
}

// GPT-2's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100.. in byte order. Returns the inverse, code point -> byte (-1 where none).
std::array<int, 324> unicode_to_byte_table() {
  std::array<int, 324> table;
  table.fill(-1);
  int next_extra = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable =
        (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    table[printable ? b : next_extra++] = b;
  }
  return table;
}

}  // namespace

std::vector<std::string> read_tiktoken_ranks(const std::string& path) {
  const std::string data = read_file(path);
  std::vector<std::string> by_rank;
  std::vector<bool> seen;
  std::string bytes;
  size_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t eol = data.find('\n', pos);
    if (eol == std::string::npos) eol = data.size();
    std::string_view line(data.data() + pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const auto where = [&] { return path + ":" + std::to_string(line_no) + ": "; };
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) throw Error(where() + "expected \"base64 rank\"");
    const std::string_view token = line.substr(0, space), rank_text = line.substr(space + 1);
    int rank = -1;
    const auto [end, ec] =
        std::from_chars(rank_text.data(), rank_text.data() + rank_text.size(), rank);
    if (ec != std::errc() || end != rank_text.data() + rank_text.size() || rank < 0) {
      throw Error(where() + "bad rank '" + std::string(rank_text) + "'");
    }
    if (!base64_decode(token, bytes)) throw Error(where() + "bad base64 token");
    if (rank > 10'000'000)
      throw Error(where() + "rank " + std::to_string(rank) + " is implausible");
    if (static_cast<size_t>(rank) >= by_rank.size()) {
      by_rank.resize(rank + 1);
      seen.resize(rank + 1, false);
    }
    if (seen[rank]) throw Error(where() + "rank " + std::to_string(rank) + " appears twice");
    seen[rank] = true;
    by_rank[rank] = bytes;
  }
  if (by_rank.empty()) throw Error(path + ": no tokens in rank file");
  for (size_t r = 0; r < seen.size(); ++r) {
    if (!seen[r]) throw Error(path + ": rank " + std::to_string(r) + " is missing");
  }
  return by_rank;
}

namespace {

// Streams tokenizer.json and keeps only model.type, model.vocab and added_tokens: building a DOM
// of the whole file (with its 50k merges) costs several times more.
class TokenizerJsonHandler : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<std::pair<std::string, int64_t>> vocab;
  std::map<std::string, int> added_tokens;
  std::string model_type;
  std::string layout_error;  // first field with an unexpected type
  bool saw_vocab = false;

  bool null() override { return value("null"); }
  bool boolean(bool) override { return value("a boolean"); }
  bool number_integer(number_integer_t v) override { return integer(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return integer(v > static_cast<number_unsigned_t>(INT64_MAX) ? -1 : static_cast<int64_t>(v));
  }
  bool number_float(number_float_t, const string_t&) override { return value("a float"); }
  bool binary(binary_t&) override { return value("binary"); }
  bool string(string_t& s) override {
    if (at_model_field("type")) model_type = s;
    if (in_added_token()) {
      if (frames_.back().key == "content") added_content_ = s;
    }
    return value("a string", /*is_string=*/true);
  }
  bool start_object(std::size_t) override {
    if (in_vocab_entry()) return fail("model.vocab values must be integer ids");
    if (at_model_field("vocab")) saw_vocab = true;
    if (in_added_tokens_array()) added_content_.reset(), added_id_.reset();
    frames_.push_back({false, {}});
    return true;
  }
  bool end_object() override {
    frames_.pop_back();
    if (in_added_tokens_array()) {
      if (!added_content_ || !added_id_) return fail("added_tokens entries need content and id");
      added_tokens[*added_content_] = *added_id_;
    }
    return true;
  }
  bool start_array(std::size_t) override {
    if (in_vocab_entry()) return fail("model.vocab values must be integer ids");
    if (at_model_field("vocab")) return fail("model.vocab is not an object");
    frames_.push_back({true, {}});
    return true;
  }
  bool end_array() override {
    frames_.pop_back();
    return true;
  }
  bool key(string_t& k) override {
    frames_.back().key = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    layout_error = "not valid JSON at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

 private:
  struct Frame {
    bool is_array;
    std::string key;
  };
  // frames_[0] is the root object; frames_[1] the object or array under frames_[0].key; ...
  bool at_model_field(const char* field) const {
    return frames_.size() == 2 && frames_[0].key == "model" && !frames_[1].is_array &&
           frames_[1].key == field;
  }
  bool in_vocab_entry() const {
    return frames_.size() == 3 && frames_[0].key == "model" && frames_[1].key == "vocab" &&
           !frames_[2].is_array;
  }
  bool in_added_tokens_array() const {
    return frames_.size() == 2 && frames_[0].key == "added_tokens" && frames_[1].is_array;
  }
  bool in_added_token() const {
    return frames_.size() == 3 && frames_[0].key == "added_tokens" && frames_[1].is_array &&
           !frames_[2].is_array;
  }
  bool integer(int64_t v) {
    if (in_vocab_entry()) vocab.emplace_back(frames_.back().key, v);
    if (in_added_token() && frames_.back().key == "id") {
      if (v < 0 || v > INT32_MAX) return fail("added_tokens id out of range");
      added_id_ = static_cast<int>(v);
    }
    return true;
  }
  bool value(const char* what, bool is_string = false) {
    if (in_vocab_entry())
      return fail(std::string("model.vocab value is ") + what + ", expected an integer id");
    if (at_model_field("vocab")) return fail("model.vocab is not an object");
    if (in_added_token() && frames_.back().key == "id")
      return fail("added_tokens id is not an integer");
    if (in_added_token() && frames_.back().key == "content" && !is_string) {
      return fail("added_tokens content is not a string");
    }
    return true;
  }
  bool fail(const std::string& why) {
    if (layout_error.empty()) layout_error = why;
    return false;
  }
  std::vector<Frame> frames_;
  std::optional<std::string> added_content_;
  std::optional<int> added_id_;
};

}  // namespace

HfVocabulary read_tokenizer_json(const std::string& path) {
  const std::string data = read_file(path);
  TokenizerJsonHandler handler;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(data, &handler);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  if (!ok || !handler.layout_error.empty()) {
    throw Error(path + ": " +
                (handler.layout_error.empty() ? "cannot parse" : handler.layout_error));
  }
  if (!handler.model_type.empty() && handler.model_type != "BPE") {
    throw Error(path + ": model.type is \"" + handler.model_type + "\", expected \"BPE\"");
  }
  if (!handler.saw_vocab) throw Error(path + ": no model.vocab object");

  HfVocabulary out;
  out.added_tokens = std::move(handler.added_tokens);
  static const std::array<int, 324> to_byte = unicode_to_byte_table();
  std::vector<bool> filled;
  const size_t n_entries = handler.vocab.size();
  for (const auto& [text, id] : handler.vocab) {
    if (out.added_tokens.count(text)) continue;
    if (id < 0 || static_cast<size_t>(id) >= n_entries) {
      throw Error(path + ": model.vocab id " + std::to_string(id) + " of " +
                  nlohmann::json(text).dump() + " is out of range");
    }
    std::string bytes;
    for (const char32_t cp : to_code_points(text)) {
      if (cp >= to_byte.size() || to_byte[cp] < 0) {
        throw Error(path + ": model.vocab token " + nlohmann::json(text).dump() +
                    " is not in GPT-2's byte-level alphabet");
      }
      bytes.push_back(static_cast<char>(to_byte[cp]));
    }
    if (static_cast<size_t>(id) >= out.tokens_by_rank.size()) {
      out.tokens_by_rank.resize(id + 1);
      filled.resize(id + 1, false);
    }
    if (filled[id]) throw Error(path + ": model.vocab id " + std::to_string(id) + " appears twice");
    filled[id] = true;
    out.tokens_by_rank[id] = std::move(bytes);
  }
  for (size_t id = 0; id < out.tokens_by_rank.size(); ++id) {
    if (!filled[id]) throw Error(path + ": model.vocab has no token with id " + std::to_string(id));
  }
  if (out.tokens_by_rank.empty()) throw Error(path + ": model.vocab is empty");
  return out;
}

}  // namespace tessera::text
