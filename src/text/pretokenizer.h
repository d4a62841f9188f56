// GPT-2's pre-tokenization regex (the one openai-whisper gives tiktoken), run with PCRE2:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// \s is spelled out as Unicode White_Space, which is what tiktoken's Rust regex means by it
// (PCRE2's own \s also matches U+180E).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

namespace tessera::text {

class Pretokenizer {
 public:
  Pretokenizer();  // throws tessera::Error if PCRE2 cannot compile the pattern
  ~Pretokenizer();
  Pretokenizer(const Pretokenizer&) = delete;
  Pretokenizer& operator=(const Pretokenizer&) = delete;

  // Calls `piece` for each match, in order. `text` must be valid UTF-8 (not re-checked).
  void split(std::string_view text, const std::function<void(std::string_view)>& piece) const;

 private:
  struct Code;
  std::unique_ptr<Code> code_;
};

}  // namespace tessera::text
