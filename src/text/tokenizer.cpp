#include "tessera/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "tessera/error.h"
#include "text/tokenizer_impl.h"
#include "text/utf8.h"
#include "text/vocab_files.h"

namespace tessera {
namespace fs = std::filesystem;
namespace {

// openai-whisper: a model is multilingual when n_vocab >= 51865, and has
// n_vocab - 51765 - multilingual languages.
constexpr int kFirstMultilingualVocab = 51865;

std::string timestamp_text(int index) {
  const int centiseconds = index * 2;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "<|%d.%02d|>", centiseconds / 100, centiseconds % 100);
  return buf;
}

std::vector<int> compute_non_speech_tokens(const Tokenizer& tok) {
  // Single-character symbols, then multi-character ones (openai-whisper's list).
  std::vector<std::string> symbols;
  for (const char* s : {"\"", "#", "(", ")", "*", "+", "/", ":", ";", "<",  "=",  ">",  "@", "[",
                        "\\", "]", "^", "_", "`", "{", "|", "}", "~", "「", "」", "『", "』"}) {
    symbols.emplace_back(s);
  }
  for (const char* s : {"<<", ">>", "<<<", ">>>", "--", "---", "-(", "-[", "('", "(\"",
                        "((", "))", "(((", ")))", "[[", "]]",  "{{", "}}", "♪♪", "♪♪♪"}) {
    symbols.emplace_back(s);
  }
  // U+2640..U+267F symbols share their first two UTF-8 bytes, so suppressing the first token is
  // safe even when they take several tokens.
  const std::vector<std::string> miscellaneous = {"♩", "♪", "♫", "♬", "♭", "♮", "♯"};

  std::set<int> result = {tok.encode(" -").at(0), tok.encode(" '").at(0)};
  auto add = [&](const std::string& symbol, bool always_first) {
    for (const std::string& text : {symbol, " " + symbol}) {
      const std::vector<int> ids = tok.encode(text);
      if (ids.size() == 1 || (always_first && !ids.empty())) result.insert(ids[0]);
    }
  };
  for (const auto& s : symbols) add(s, false);
  for (const auto& s : miscellaneous) add(s, true);
  return {result.begin(), result.end()};
}

// --- construction --------------------------------------------------------------------------------

std::shared_ptr<Tokenizer::Impl> make_tokenizer_impl(const std::vector<std::string>& ranks,
                                                     int n_vocab, const std::string& source) {
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->source = source;
  impl->bpe = std::make_unique<text::BytePairEncoder>(ranks, source);
  impl->n_ranks = impl->bpe->size();
  impl->n_vocab = n_vocab;
  impl->multilingual = n_vocab >= kFirstMultilingualVocab;
  impl->num_languages = n_vocab - 51765 - (impl->multilingual ? 1 : 0);
  const int max_languages = static_cast<int>(whisper_language_codes().size());
  if (impl->num_languages < 1 || impl->num_languages > max_languages ||
      impl->n_ranks + Tokenizer::kNonLanguageSpecials + impl->num_languages != n_vocab) {
    throw Error(source + ": n_vocab " + std::to_string(n_vocab) + " does not fit a vocabulary of " +
                std::to_string(impl->n_ranks) + " ranks (expected 51864 for gpt2 ranks, 51865 or " +
                "51866 for multilingual ranks)");
  }
  auto& texts = impl->special_texts;
  texts = {"<|endoftext|>", "<|startoftranscript|>"};
  for (int i = 0; i < impl->num_languages; ++i) {
    texts.push_back("<|" + std::string(whisper_language_codes()[i]) + "|>");
  }
  for (const char* s : {"<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
                        "<|nospeech|>", "<|notimestamps|>"}) {
    texts.emplace_back(s);
  }
  for (int i = 0; i < Tokenizer::kTimestampCount; ++i) texts.push_back(timestamp_text(i));
  for (size_t i = 0; i < texts.size(); ++i) {
    impl->special_ids.emplace(texts[i], impl->n_ranks + static_cast<int>(i));
  }
  return impl;
}

}  // namespace

Tokenizer Tokenizer::from_tiktoken_file(const std::string& path, int n_vocab) {
  auto impl = make_tokenizer_impl(text::read_tiktoken_ranks(path), n_vocab, path);
  Tokenizer tok(impl);
  impl->non_speech_tokens = compute_non_speech_tokens(tok);
  return tok;
}

Tokenizer Tokenizer::from_tokenizer_json(const std::string& path, int n_vocab) {
  const text::HfVocabulary vocab = text::read_tokenizer_json(path);
  auto impl = make_tokenizer_impl(vocab.tokens_by_rank, n_vocab, path);
  // The file's own special tokens must sit where openai-whisper puts them (older exports name
  // <|nospeech|> "<|nocaptions|>" and may omit timestamps; unknown names are not checked).
  for (const auto& [content, id] : vocab.added_tokens) {
    const auto it = impl->special_ids.find(content);
    if (it != impl->special_ids.end() && it->second != id) {
      throw Error(path + ": added token " + content + " has id " + std::to_string(id) +
                  ", openai-whisper's layout gives " + std::to_string(it->second));
    }
  }
  Tokenizer tok(impl);
  impl->non_speech_tokens = compute_non_speech_tokens(tok);
  return tok;
}

std::string Tokenizer::default_assets_dir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("TESSERA_ASSETS_DIR"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  }
  // This file is src/text/tokenizer.cpp in the source tree, so a build finds the checkout's assets.
  candidates.push_back(fs::path(__FILE__).parent_path().parent_path().parent_path() / "assets");
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "share" / "tessera" / "assets");
    candidates.push_back(exe.parent_path() / "assets");
  }
  std::string tried;
  for (const auto& dir : candidates) {
    if (fs::exists(dir / "multilingual.tiktoken", ec) && fs::exists(dir / "gpt2.tiktoken", ec)) {
      return dir.string();
    }
    tried += (tried.empty() ? "" : ", ") + dir.string();
  }
  throw Error("tokenizer: cannot find gpt2.tiktoken and multilingual.tiktoken (looked in " + tried +
              "; set TESSERA_ASSETS_DIR)");
}

Tokenizer Tokenizer::for_model(const std::string& model_dir, int n_vocab,
                               const std::string& assets_dir) {
  const fs::path json = fs::path(model_dir) / "tokenizer.json";
  std::error_code ec;
  if (fs::exists(json, ec)) return from_tokenizer_json(json.string(), n_vocab);
  const std::string dir = assets_dir.empty() ? default_assets_dir() : assets_dir;
  const char* name = n_vocab >= kFirstMultilingualVocab ? "multilingual.tiktoken" : "gpt2.tiktoken";
  return from_tiktoken_file((fs::path(dir) / name).string(), n_vocab);
}

// --- layout --------------------------------------------------------------------------------------

int Tokenizer::n_vocab() const {
  return impl_->n_vocab;
}
int Tokenizer::n_ranks() const {
  return impl_->n_ranks;
}
bool Tokenizer::is_multilingual() const {
  return impl_->multilingual;
}
int Tokenizer::num_languages() const {
  return impl_->num_languages;
}
int Tokenizer::eot() const {
  return impl_->n_ranks;
}
int Tokenizer::sot() const {
  return impl_->n_ranks + 1;
}
int Tokenizer::translate() const {
  return sot() + num_languages() + 1;
}
int Tokenizer::transcribe() const {
  return sot() + num_languages() + 2;
}
int Tokenizer::sot_lm() const {
  return sot() + num_languages() + 3;
}
int Tokenizer::sot_prev() const {
  return sot() + num_languages() + 4;
}
int Tokenizer::no_speech() const {
  return sot() + num_languages() + 5;
}
int Tokenizer::no_timestamps() const {
  return sot() + num_languages() + 6;
}
int Tokenizer::timestamp_begin() const {
  return sot() + num_languages() + 7;
}

int Tokenizer::language_token(std::string_view language) const {
  const std::string code = to_language_code(language);
  const auto codes = whisper_language_codes();
  const auto it = std::find(codes.begin(), codes.end(), code);
  const int index = static_cast<int>(it - codes.begin());
  if (code.empty() || index >= num_languages()) {
    throw Error("tokenizer: language '" + std::string(language) +
                "' is not supported by this model (" + std::to_string(num_languages()) +
                " languages)");
  }
  return sot() + 1 + index;
}

std::optional<std::string_view> Tokenizer::language_code(int id) const {
  const int index = id - sot() - 1;
  if (index < 0 || index >= num_languages()) return std::nullopt;
  return whisper_language_codes()[index];
}

std::vector<int> Tokenizer::all_language_tokens() const {
  std::vector<int> ids(num_languages());
  for (int i = 0; i < num_languages(); ++i) ids[i] = sot() + 1 + i;
  return ids;
}

std::vector<std::string_view> Tokenizer::all_language_codes() const {
  const auto codes = whisper_language_codes();
  return {codes.begin(), codes.begin() + num_languages()};
}

std::vector<int> Tokenizer::sot_sequence(std::string_view language, Task task) const {
  if (!is_multilingual()) return {sot()};
  return {sot(), language_token(language.empty() ? "en" : language),
          task == Task::Transcribe ? transcribe() : translate()};
}

std::vector<int> Tokenizer::sot_sequence_including_notimestamps(std::string_view language,
                                                                Task task) const {
  std::vector<int> seq = sot_sequence(language, task);
  seq.push_back(no_timestamps());
  return seq;
}

const std::vector<int>& Tokenizer::non_speech_tokens() const {
  return impl_->non_speech_tokens;
}

// --- text ----------------------------------------------------------------------------------------

std::vector<int> Tokenizer::encode(std::string_view input) const {
  std::string repaired;
  if (!text::is_valid_utf8(input)) {
    repaired = text::replace_invalid_utf8(input);
    input = repaired;
  }
  std::vector<int> ids;
  ids.reserve(input.size() / 3 + 1);
  impl_->pretokenizer.split(input,
                            [&](std::string_view piece) { impl_->bpe->encode_piece(piece, ids); });
  return ids;
}

std::string_view Tokenizer::token_bytes(int id) const {
  if (id >= 0 && id < impl_->n_ranks) return impl_->bpe->token_bytes(id);
  if (id >= impl_->n_ranks && id < impl_->n_vocab) return impl_->special_texts[id - impl_->n_ranks];
  throw Error("tokenizer: token id " + std::to_string(id) + " is outside the vocabulary (n_vocab " +
              std::to_string(impl_->n_vocab) + ")");
}

std::optional<int> Tokenizer::token_id(std::string_view bytes) const {
  if (const int rank = impl_->bpe->rank_of(bytes); rank >= 0) return rank;
  const auto it = impl_->special_ids.find(std::string(bytes));
  if (it != impl_->special_ids.end()) return it->second;
  return std::nullopt;
}

std::string Tokenizer::decode(std::span<const int> ids) const {
  std::string bytes;
  for (const int id : ids) {
    const std::string_view b = token_bytes(id);  // validates the id
    if (id < timestamp_begin()) bytes += b;
  }
  return text::replace_invalid_utf8(bytes);
}

std::string Tokenizer::decode_with_timestamps(std::span<const int> ids) const {
  std::string bytes;
  for (const int id : ids) bytes += token_bytes(id);
  return text::replace_invalid_utf8(bytes);
}

}  // namespace tessera
