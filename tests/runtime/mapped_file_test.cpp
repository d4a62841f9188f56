#include "runtime/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace tessera {
namespace {

TEST(MappedFile, MapsContentsAndRejectsMissingOrDirectory) {
  auto path = std::filesystem::temp_directory_path() / "tessera_mapped_file_test.bin";
  { std::ofstream(path, std::ios::binary) << "hello"; }
  auto f = MappedFile::open(path.string());
  ASSERT_EQ(f->size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->data()), 5), "hello");
  std::filesystem::remove(path);
  EXPECT_THROW(MappedFile::open("/nonexistent/tessera/file"), Error);
  EXPECT_THROW(MappedFile::open(std::filesystem::temp_directory_path().string()), Error);
}

TEST(MappedFile, EmptyFileMapsToNothing) {
  auto path = std::filesystem::temp_directory_path() / "tessera_mapped_file_empty.bin";
  { std::ofstream(path, std::ios::binary); }
  auto f = MappedFile::open(path.string());
  EXPECT_EQ(f->size(), 0u);
  ByteReader r(f->data(), f->size(), path.string());
  EXPECT_THROW(r.read<uint32_t>("version"), Error);
  std::filesystem::remove(path);
}

TEST(ByteReader, ChecksEveryReadAndNamesTheField) {
  const uint8_t bytes[] = {1, 0, 0, 0, 2, 0};
  ByteReader r(bytes, sizeof bytes, "model.bin");
  EXPECT_EQ(r.read<uint32_t>("version"), 1u);
  EXPECT_EQ(r.read<uint16_t>("length"), 2u);
  try {
    r.read<uint8_t>("rank");
    FAIL() << "read past the end";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("model.bin"), std::string::npos) << m;
    EXPECT_NE(m.find("rank"), std::string::npos) << m;
  }
  ByteReader r2(bytes, sizeof bytes, "x");
  EXPECT_THROW(r2.take(7, "data"), Error);
  EXPECT_THROW(r2.take(SIZE_MAX, "data"), Error);
  EXPECT_NO_THROW(r2.take(6, "data"));
}

}  // namespace
}  // namespace tessera
