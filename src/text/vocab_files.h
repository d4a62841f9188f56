// Readers for the two vocabulary files a Whisper tokenizer can come from.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tessera::text {

// A `.tiktoken` rank file: one "base64(token bytes) rank" per line, ranks 0..N-1 each once.
// Returns the token bytes indexed by rank. Throws tessera::Error naming the file and line.
std::vector<std::string> read_tiktoken_ranks(const std::string& path);

struct HfVocabulary {
  std::vector<std::string> tokens_by_rank;  // model.vocab minus added tokens, bytes by id
  std::map<std::string, int> added_tokens;  // content -> id
};
// A Hugging Face tokenizer.json with a byte-level BPE model (GPT-2's byte-to-unicode alphabet).
HfVocabulary read_tokenizer_json(const std::string& path);

}  // namespace tessera::text
