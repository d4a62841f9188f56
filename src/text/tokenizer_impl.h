// Shared state behind tessera::Tokenizer (one per loaded vocabulary).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tessera/tokenizer.h"
#include "text/bpe.h"
#include "text/pretokenizer.h"

namespace tessera {

struct Tokenizer::Impl {
  std::string source;  // file the ranks came from, for error messages
  std::unique_ptr<text::BytePairEncoder> bpe;
  text::Pretokenizer pretokenizer;
  int n_vocab = 0;
  int n_ranks = 0;
  int num_languages = 0;
  bool multilingual = false;
  std::vector<std::string> special_texts;  // text of special id n_ranks + i
  std::unordered_map<std::string, int> special_ids;
  std::vector<int> non_speech_tokens;
};

}  // namespace tessera
