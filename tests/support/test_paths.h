// Where tests find the repository (for data/ and the real models under models/).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace tessera::test {

inline std::string source_dir() {
  if (const char* env = std::getenv("TESSERA_SOURCE_DIR")) return env;
#ifdef TESSERA_SOURCE_DIR
  return TESSERA_SOURCE_DIR;
#else
  return ".";
#endif
}

inline std::string repo_path(const std::string& rel) { return source_dir() + "/" + rel; }

// A real model folder made by scripts/fetch-model, or "" when it has not been fetched.
inline std::string real_model(const std::string& name) {
  std::string dir = repo_path("models/" + name);
  return std::filesystem::exists(dir + "/model.bin") ? dir : "";
}

}  // namespace tessera::test
