// Shared helpers for the decoder tests: real models and encoder outputs, loaded once per binary.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/test_paths.h"
#include "tessera/audio.h"
#include "tessera/encoder.h"
#include "tessera/mel.h"
#include "tessera/model.h"
#include "tessera/tokenizer.h"

namespace tessera::test {

// The model under models/NAME, or nullptr when it has not been fetched.
inline std::shared_ptr<const Model> shared_model(const std::string& name) {
  static std::map<std::string, std::shared_ptr<const Model>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const std::string dir = real_model(name);
  std::shared_ptr<const Model> m = dir.empty() ? nullptr : Model::load(dir);
  cache[name] = m;
  return m;
}

inline const Tokenizer& model_tokenizer(const std::string& name) {
  static std::map<std::string, Tokenizer> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  auto m = shared_model(name);
  return cache.emplace(name, Tokenizer::for_model(m->dir, m->config.n_vocab, repo_path("assets")))
      .first->second;
}

// Encoder output (n_audio_ctx x d, fp32) of the first 30 s of data/audio/CLIP with model NAME.
inline const std::vector<float>& encoded_clip(const std::string& name, const std::string& clip) {
  static std::map<std::string, std::vector<float>> cache;
  const std::string key = name + "/" + clip;
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  auto m = shared_model(name);
  std::vector<float> audio = load_audio(repo_path("data/audio/" + clip));
  MelFrontend mel(m->config.n_mels);
  LogMel window = mel.window(audio.data(), audio.size());
  Encoder enc(m, {.compute_type = ComputeType::F32, .threads = 2});
  return cache.emplace(key, enc.encode(window.data)).first->second;
}

}  // namespace tessera::test

#define TESSERA_REQUIRE_MODEL(name)                                                 \
  do {                                                                              \
    if (!::tessera::test::shared_model(name))                                       \
      GTEST_SKIP() << "models/" name " not fetched (scripts/fetch-model " name ")"; \
  } while (0)
