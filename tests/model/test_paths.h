// Helpers for model tests: the repo root (for models/base, models/tiny.en) and scratch folders.
#pragma once

#include <unistd.h>

#include <atomic>
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

inline std::string real_model_dir(const std::string& name) {
  return source_dir() + "/models/" + name;
}

// A fresh folder under the system temp dir, removed when the object goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("tessera_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string str() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tessera::test
