#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tessera/encoder.h"

namespace tessera {
namespace {

ModelConfig small_config(int d) {
  ModelConfig c;
  c.n_mels = 80;
  c.n_audio_ctx = 150;
  c.n_audio_state = d;
  c.n_audio_head = 2;
  c.n_audio_layer = 1;
  return c;
}

TEST(AutoComputeType, ExplicitTypesPassThrough) {
  const ModelConfig c = small_config(64);
  EXPECT_EQ(resolve_compute_type(ComputeType::F32, c, 1), ComputeType::F32);
  EXPECT_EQ(resolve_compute_type(ComputeType::Int8, c, 1), ComputeType::Int8);
}

TEST(AutoComputeType, MeasuresOnceAndRemembersOnDisk) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tessera-auto-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const char* old = std::getenv("XDG_CACHE_HOME");
  const std::string saved = old ? old : "";
  setenv("XDG_CACHE_HOME", dir.c_str(), 1);

  const ModelConfig c = small_config(96);  // a shape no other test resolves
  const ComputeType chosen = resolve_compute_type(ComputeType::Auto, c, 1);
  EXPECT_TRUE(chosen == ComputeType::F32 || chosen == ComputeType::Int8)
      << compute_type_name(chosen);
  EXPECT_EQ(resolve_compute_type(ComputeType::Auto, c, 1), chosen);  // remembered

  std::ifstream in(dir / "tessera" / "auto_compute_type.json");
  ASSERT_TRUE(in) << "no cache file written";
  const nlohmann::json j = nlohmann::json::parse(in);
  bool found = false;
  for (const auto& [key, value] : j.items())
    if (key.find("d=96 ") != std::string::npos) {
      found = true;
      EXPECT_EQ(value.get<std::string>(), compute_type_name(chosen));
    }
  EXPECT_TRUE(found) << j.dump();

  if (old)
    setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  else
    unsetenv("XDG_CACHE_HOME");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tessera
