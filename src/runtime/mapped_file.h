// Read-only memory-mapped file, and a bounds-checked cursor for parsing binary formats.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "tessera/error.h"

namespace tessera {

class MappedFile {
 public:
  // Throws tessera::Error naming the path if it cannot be opened or mapped.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Drops the pages of [0, end) from this process's memory (they are read again if touched), so
  // streaming through a long file keeps the resident set bounded. Only whole pages are dropped.
  void release_before(size_t end) const;

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// Reads little-endian values from [data, data+size); every read is checked against the end and
// failures name the file and the field being read.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string file)
      : data_(data), size_(size), file_(std::move(file)) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(std::string_view field, std::string_view why) const {
    throw Error(file_ + ": " + std::string(field) + ": " + std::string(why) + " (at byte " +
                std::to_string(pos_) + ")");
  }
  void need(size_t n, std::string_view field) const {
    if (n > remaining())
      fail(field, "needs " + std::to_string(n) + " bytes but only " + std::to_string(remaining()) +
                      " remain (truncated file?)");
  }
  template <typename T>
  T read(std::string_view field) {
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  const uint8_t* take(size_t n, std::string_view field) {
    need(n, field);
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string file_;
};

}  // namespace tessera
