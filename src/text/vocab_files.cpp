#include "text/vocab_files.h"

#include <array>
#include <charconv>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
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

HfVocabulary read_tokenizer_json(const std::string& path) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  HfVocabulary out;
  try {
    if (const auto it = doc.find("added_tokens"); it != doc.end() && it->is_array()) {
      for (const auto& added : *it) {
        out.added_tokens[added.at("content").get<std::string>()] = added.at("id").get<int>();
      }
    }
    const auto& model = doc.at("model");
    if (model.contains("type") && model.at("type") != "BPE") {
      throw Error(path + ": model.type is " + model.at("type").dump() + ", expected \"BPE\"");
    }
    const auto& vocab = model.at("vocab");
    if (!vocab.is_object()) throw Error(path + ": model.vocab is not an object");
    static const std::array<int, 324> to_byte = unicode_to_byte_table();
    for (const auto& [text, id_json] : vocab.items()) {
      if (out.added_tokens.count(text)) continue;
      const int id = id_json.get<int>();
      if (id < 0 || static_cast<size_t>(id) >= vocab.size()) {
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
      if (static_cast<size_t>(id) >= out.tokens_by_rank.size()) out.tokens_by_rank.resize(id + 1);
      if (!out.tokens_by_rank[id].empty()) {
        throw Error(path + ": model.vocab id " + std::to_string(id) + " appears twice");
      }
      out.tokens_by_rank[id] = std::move(bytes);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": unexpected tokenizer.json layout: " + e.what());
  }
  for (size_t id = 0; id < out.tokens_by_rank.size(); ++id) {
    if (out.tokens_by_rank[id].empty()) {
      throw Error(path + ": model.vocab has no token with id " + std::to_string(id));
    }
  }
  if (out.tokens_by_rank.empty()) throw Error(path + ": model.vocab is empty");
  return out;
}

}  // namespace tessera::text
