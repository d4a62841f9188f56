#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "audio/inflate.h"
#include "audio/zip_archive.h"
#include "runtime/npy.h"
#include "support/test_paths.h"
#include "tessera/error.h"

namespace tessera::audio {
namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(v & 0xff);
  b.push_back(v >> 8);
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back((v >> (8 * i)) & 0xff);
}

// A one-member zip with the member stored (method 0) or with the given raw deflate payload.
std::vector<uint8_t> make_zip(const std::string& name, const std::vector<uint8_t>& content,
                              uint16_t method, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> z;
  const uint32_t crc = crc32(content.data(), content.size());
  put32(z, 0x04034b50);
  put16(z, 20);
  put16(z, 0);
  put16(z, method);
  put32(z, 0);
  put32(z, crc);
  put32(z, static_cast<uint32_t>(payload.size()));
  put32(z, static_cast<uint32_t>(content.size()));
  put16(z, static_cast<uint16_t>(name.size()));
  put16(z, 0);
  z.insert(z.end(), name.begin(), name.end());
  z.insert(z.end(), payload.begin(), payload.end());
  const uint32_t cd = static_cast<uint32_t>(z.size());
  put32(z, 0x02014b50);
  put16(z, 20);
  put16(z, 20);
  put16(z, 0);
  put16(z, method);
  put32(z, 0);
  put32(z, crc);
  put32(z, static_cast<uint32_t>(payload.size()));
  put32(z, static_cast<uint32_t>(content.size()));
  put16(z, static_cast<uint16_t>(name.size()));
  put16(z, 0);
  put16(z, 0);
  put16(z, 0);
  put16(z, 0);
  put32(z, 0);
  put32(z, 0);
  z.insert(z.end(), name.begin(), name.end());
  const uint32_t cd_size = static_cast<uint32_t>(z.size()) - cd;
  put32(z, 0x06054b50);
  put16(z, 0);
  put16(z, 0);
  put16(z, 1);
  put16(z, 1);
  put32(z, cd_size);
  put32(z, cd);
  put16(z, 0);
  return z;
}

TEST(Crc32, KnownValue) {
  const char* s = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(s), 9), 0xCBF43926u);
}

TEST(Inflate, FixedHuffmanStream) {
  // zlib.compress(b"hello hello hello", wbits=-15) -> fixed-Huffman block with a back-reference.
  const std::vector<uint8_t> deflated = {0xcb, 0x48, 0xcd, 0xc9, 0xc9,
                                         0x57, 0xc8, 0x40, 0x90, 0x00};
  auto out = inflate_raw(deflated.data(), deflated.size(), 17, "t");
  EXPECT_EQ(std::string(out.begin(), out.end()), "hello hello hello");
  EXPECT_THROW(inflate_raw(deflated.data(), deflated.size(), 16, "t"), Error);  // size mismatch
  EXPECT_THROW(inflate_raw(deflated.data(), deflated.size(), 18, "t"), Error);
  EXPECT_THROW(inflate_raw(deflated.data(), 4, 17, "t"), Error);  // truncated
}

TEST(Inflate, StoredBlockAndBadBlockType) {
  const std::vector<uint8_t> stored = {0x01, 0x03, 0x00, 0xfc, 0xff, 'a', 'b', 'c'};
  auto out = inflate_raw(stored.data(), stored.size(), 3, "t");
  EXPECT_EQ(std::string(out.begin(), out.end()), "abc");
  std::vector<uint8_t> bad_len = stored;
  bad_len[3] = 0x00;  // NLEN no longer the complement of LEN
  EXPECT_THROW(inflate_raw(bad_len.data(), bad_len.size(), 3, "t"), Error);
  const uint8_t type3[] = {0x07};
  EXPECT_THROW(inflate_raw(type3, 1, 1, "t"), Error);
}

TEST(Zip, ExtractsStoredAndDeflatedMembers) {
  std::vector<uint8_t> content = {'a', 'b', 'c'};
  auto z = make_zip("x.bin", content, 0, content);
  EXPECT_EQ(zip_extract(z.data(), z.size(), "x.bin", "t.zip"), content);
  EXPECT_THROW(zip_extract(z.data(), z.size(), "y.bin", "t.zip"), Error);

  const std::string hello = "hello hello hello";
  std::vector<uint8_t> text(hello.begin(), hello.end());
  auto dz = make_zip("h", text, 8, {0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x90, 0x00});
  EXPECT_EQ(zip_extract(dz.data(), dz.size(), "h", "t.zip"), text);
  auto unsupported = make_zip("h", text, 12, text);  // bzip2
  EXPECT_THROW(zip_extract(unsupported.data(), unsupported.size(), "h", "t.zip"), Error);
}

TEST(Zip, RealNpzParsesAndEveryCorruptionIsCaught) {
  const auto npz = read_file(test::repo_path("assets/mel_filters.npz"));
  ASSERT_GT(npz.size(), 1000u);
  auto npy = zip_extract(npz.data(), npz.size(), "mel_80.npy", "mel_filters.npz");
  NpyView v = parse_npy(npy.data(), npy.size(), "mel_80.npy");
  EXPECT_EQ(v.shape, (std::vector<int64_t>{80, 201}));

  // Flip one byte anywhere: either still fine (a byte that does not matter, e.g. a timestamp) or
  // a tessera::Error; the CRC catches corrupted payload bytes the inflater happens to accept.
  const auto want = zip_extract(npz.data(), npz.size(), "mel_128.npy", "mel_filters.npz");
  int errors = 0;
  for (size_t i = 0; i < npz.size(); i += 7) {
    auto bad = npz;
    bad[i] ^= 0x5a;
    try {
      auto out = zip_extract(bad.data(), bad.size(), "mel_128.npy", "mel_filters.npz");
      EXPECT_EQ(out, want);
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 100);
  for (size_t len : {size_t{0}, size_t{21}, npz.size() / 2, npz.size() - 1}) {
    std::vector<uint8_t> cut(npz.begin(), npz.begin() + len);
    EXPECT_THROW(zip_extract(cut.data(), cut.size(), "mel_80.npy", "t"), Error) << len;
  }
}

}  // namespace
}  // namespace tessera::audio
