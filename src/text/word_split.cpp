// openai-whisper's split_to_word_tokens (used for word-level timestamps).
#include <string>
#include <string_view>

#include "tessera/tokenizer.h"
#include "text/utf8.h"

namespace tessera {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
// Python's string.punctuation; openai-whisper tests `word.strip() in string.punctuation`, which is
// a substring test (so "" and "()" count as punctuation too).
constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

bool uses_spaces(std::string_view language) {
  for (std::string_view lang : {"zh", "ja", "th", "lo", "my", "yue"}) {
    if (language == lang) return false;
  }
  return true;
}

std::string to_utf8(const std::u32string& cps) {
  std::string out;
  for (const char32_t c : cps) text::append_utf8(c, out);
  return out;
}

}  // namespace

WordTokens Tokenizer::split_to_word_tokens(std::span<const int> ids,
                                           std::string_view language) const {
  return uses_spaces(language) ? split_tokens_on_spaces(ids) : split_tokens_on_unicode(ids);
}

WordTokens Tokenizer::split_tokens_on_unicode(std::span<const int> ids) const {
  // A group of tokens ends where its decode has no U+FFFD, or where the U+FFFD it has is also in
  // the full decode (a genuinely invalid byte, not a character split across tokens).
  std::string all_bytes;
  for (const int id : ids) all_bytes += token_bytes(id);
  const std::u32string full = text::to_code_points(all_bytes);

  WordTokens out;
  std::vector<int> current;
  std::string current_bytes;
  size_t offset = 0;  // code points consumed so far
  for (const int id : ids) {
    current.push_back(id);
    current_bytes += token_bytes(id);
    const std::u32string decoded = text::to_code_points(current_bytes);
    const size_t bad = decoded.find(kReplacement);
    const bool complete = bad == std::u32string::npos ||
                          (offset + bad < full.size() && full[offset + bad] == kReplacement);
    if (complete) {
      out.words.push_back(to_utf8(decoded));
      out.tokens.push_back(std::move(current));
      current.clear();
      current_bytes.clear();
      offset += decoded.size();
    }
  }
  return out;
}

WordTokens Tokenizer::split_tokens_on_spaces(std::span<const int> ids) const {
  WordTokens subwords = split_tokens_on_unicode(ids);
  WordTokens out;
  for (size_t i = 0; i < subwords.words.size(); ++i) {
    std::string& subword = subwords.words[i];
    std::vector<int>& tokens = subwords.tokens[i];
    const bool special = tokens.front() >= eot();
    const bool with_space = !subword.empty() && subword.front() == ' ';
    const bool punctuation =
        kPunctuation.find(text::python_strip(subword)) != std::string_view::npos;
    if (special || with_space || punctuation || out.words.empty()) {
      out.words.push_back(std::move(subword));
      out.tokens.push_back(std::move(tokens));
    } else {
      out.words.back() += subword;
      out.tokens.back().insert(out.tokens.back().end(), tokens.begin(), tokens.end());
    }
  }
  return out;
}

}  // namespace tessera
