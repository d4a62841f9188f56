// Whisper's tokenizer: GPT-2 style byte-level BPE plus Whisper's special tokens.
//
// Token ids match openai-whisper's `whisper/tokenizer.py` (tiktoken) exactly: the mergeable ranks
// come from a `.tiktoken` rank file (assets/gpt2.tiktoken for English-only models,
// assets/multilingual.tiktoken otherwise) or from a model folder's Hugging Face tokenizer.json, and
// the special tokens follow them in openai-whisper's order: <|endoftext|>, <|startoftranscript|>,
// one token per language, <|translate|>, <|transcribe|>, <|startoflm|>, <|startofprev|>,
// <|nospeech|>, <|notimestamps|>, then the 1501 timestamps <|0.00|> .. <|30.00|>.
//
// A Tokenizer is immutable and cheap to copy (shared state); all methods are thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// --- languages ---------------------------------------------------------------------------------

// The 100 language codes in openai-whisper's order ("en", "zh", ..., "su", "yue"); a model with N
// languages has the first N of them (99 for all models before large-v3).
std::span<const std::string_view> whisper_language_codes();
// English name of a language code ("german" for "de"), or "" if the code is unknown.
std::string_view language_name(std::string_view code);
// Accepts a code ("de"), a name ("German") or one of openai-whisper's aliases ("mandarin"), case
// insensitive; returns the code, or "" if none matches.
std::string to_language_code(std::string_view name_or_code);

enum class Task { Transcribe, Translate };

// Words and the tokens that make them up (see Tokenizer::split_to_word_tokens).
struct WordTokens {
  std::vector<std::string> words;
  std::vector<std::vector<int>> tokens;
};

class Tokenizer {
 public:
  // Number of special tokens that are not languages: eot, sot, 6 task/control tokens, 1501
  // timestamps.
  static constexpr int kNonLanguageSpecials = 2 + 6 + 1501;
  static constexpr int kTimestampCount = 1501;  // <|0.00|> .. <|30.00|> in steps of 0.02 s

  // Reads a `.tiktoken` rank file (one "base64(token bytes) rank" per line). `n_vocab` is the
  // model's vocabulary size, which fixes the number of languages (openai-whisper's rule).
  static Tokenizer from_tiktoken_file(const std::string& path, int n_vocab);
  // Reads a Hugging Face tokenizer.json (BPE with GPT-2's byte-to-unicode alphabet). Its vocab ids
  // are used as tiktoken ranks; special tokens are laid out as openai-whisper does and checked
  // against the file's added_tokens.
  static Tokenizer from_tokenizer_json(const std::string& path, int n_vocab);
  // The tokenizer for a model folder: DIR/tokenizer.json when present, otherwise the bundled rank
  // file of the model's family (n_vocab 51864 = English-only, >= 51865 multilingual) found in
  // assets_dir, or default_assets_dir() when assets_dir is empty.
  static Tokenizer for_model(const std::string& model_dir, int n_vocab,
                             const std::string& assets_dir = "");
  // Where the bundled rank files are looked for: $TESSERA_ASSETS_DIR, else the source tree's
  // assets/ folder, else <exe dir>/../share/tessera/assets or <exe dir>/assets. Throws if none has
  // the files.
  static std::string default_assets_dir();

  // --- vocabulary layout ---
  int n_vocab() const;
  int n_ranks() const;  // mergeable (ordinary) tokens: 50256 for gpt2, 50257 for multilingual
  bool is_multilingual() const;
  int num_languages() const;
  int eot() const;
  int sot() const;
  int translate() const;
  int transcribe() const;
  int sot_lm() const;
  int sot_prev() const;
  int no_speech() const;
  int no_timestamps() const;
  int timestamp_begin() const;  // <|0.00|>; every id >= this is a timestamp
  bool is_timestamp(int id) const { return id >= timestamp_begin() && id < n_vocab(); }
  bool is_special(int id) const { return id >= eot() && id < n_vocab(); }

  // --- languages of this model ---
  // Token of a language (code, name or alias); throws tessera::Error if this model lacks it.
  int language_token(std::string_view language) const;
  // Code of a language token, or nullopt if `id` is not one.
  std::optional<std::string_view> language_code(int id) const;
  std::vector<int> all_language_tokens() const;
  std::vector<std::string_view> all_language_codes() const;

  // openai-whisper's sot_sequence for get_tokenizer(multilingual, language, task): multilingual
  // models get [sot, language, task] (language "" means "en"); English-only models get [sot].
  std::vector<int> sot_sequence(std::string_view language = "", Task task = Task::Transcribe) const;
  std::vector<int> sot_sequence_including_notimestamps(std::string_view language = "",
                                                       Task task = Task::Transcribe) const;
  // openai-whisper's `non_speech_tokens`: sorted ids of symbols that are suppressed so the model
  // does not emit speaker tags or sound annotations.
  const std::vector<int>& non_speech_tokens() const;

  // --- text ---
  // Ordinary-text encoding (tiktoken's encode_ordinary: special-token strings are plain text).
  // Invalid UTF-8 in `text` is first replaced by U+FFFD.
  std::vector<int> encode(std::string_view text) const;
  // Decodes the ids below timestamp_begin (openai-whisper's Tokenizer.decode). The token bytes are
  // concatenated and then made valid UTF-8 with U+FFFD for invalid or incomplete sequences, as
  // Python's bytes.decode("utf-8", errors="replace") does. Throws on an id outside the vocabulary.
  std::string decode(std::span<const int> ids) const;
  // Like decode() but timestamps are kept as "<|1.08|>".
  std::string decode_with_timestamps(std::span<const int> ids) const;
  // Raw bytes of one token (special tokens give their text, e.g. "<|en|>"). Throws if out of range.
  std::string_view token_bytes(int id) const;
  // The id of an exact token string (ordinary bytes or special text), or nullopt.
  std::optional<int> token_id(std::string_view bytes) const;

  // openai-whisper's split_to_word_tokens: for zh/ja/th/lo/my/yue, split wherever the tokens
  // decode to whole code points; otherwise also merge subwords into space-separated words.
  WordTokens split_to_word_tokens(std::span<const int> ids, std::string_view language) const;
  WordTokens split_tokens_on_unicode(std::span<const int> ids) const;
  WordTokens split_tokens_on_spaces(std::span<const int> ids) const;

  struct Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Streams the text of tokens as they are produced: push() returns the text completed so far and
// holds back an incomplete UTF-8 sequence at the end until the next token completes it. The
// concatenation of all push() results and finish() equals Tokenizer::decode of all the ids.
class IncrementalDecoder {
 public:
  explicit IncrementalDecoder(Tokenizer tokenizer, bool with_timestamps = false);
  std::string push(int id);
  std::string push(std::span<const int> ids);
  // Flushes what is held back (an unfinished sequence becomes U+FFFD) and starts over.
  std::string finish();
  void reset() { pending_.clear(); }
  size_t pending_bytes() const { return pending_.size(); }

 private:
  std::string take_complete();
  Tokenizer tokenizer_;
  bool with_timestamps_;
  std::string pending_;
};

}  // namespace tessera
