// Shared helpers for the text tests: repo paths and tokenizers loaded once per test binary.
#pragma once

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "tessera/tokenizer.h"

namespace tessera::test {

inline std::string source_dir() {
  if (const char* env = std::getenv("TESSERA_SOURCE_DIR"); env != nullptr && *env != '\0')
    return env;
  return TESSERA_SOURCE_DIR;
}

inline std::string assets_dir() {
  return source_dir() + "/assets";
}

inline const Tokenizer& gpt2_tokenizer() {
  static const Tokenizer tok =
      Tokenizer::from_tiktoken_file(assets_dir() + "/gpt2.tiktoken", 51864);
  return tok;
}

inline const Tokenizer& multilingual_tokenizer() {
  static const Tokenizer tok =
      Tokenizer::from_tiktoken_file(assets_dir() + "/multilingual.tiktoken", 51865);
  return tok;
}

inline const Tokenizer& multilingual_v3_tokenizer() {
  static const Tokenizer tok =
      Tokenizer::from_tiktoken_file(assets_dir() + "/multilingual.tiktoken", 51866);
  return tok;
}

// tests/text/data/tiktoken_expected.json, written by scripts/gen_tokenizer_fixtures.py with
// tiktoken.
inline const nlohmann::json& tiktoken_fixture() {
  static const nlohmann::json fixture = [] {
    std::ifstream in(source_dir() + "/tests/text/data/tiktoken_expected.json");
    return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
  }();
  return fixture;
}

}  // namespace tessera::test
