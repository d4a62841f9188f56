// Tests of src/runtime/npy.* (kept with the audio tests, whose owner wrote it).
#include "runtime/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "tessera/error.h"

namespace tessera {
namespace {

std::vector<uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

std::vector<uint8_t> npy_v1(const std::string& header, size_t payload) {
  std::vector<uint8_t> b = {0x93,
                            'N',
                            'U',
                            'M',
                            'P',
                            'Y',
                            1,
                            0,
                            static_cast<uint8_t>(header.size() & 0xff),
                            static_cast<uint8_t>(header.size() >> 8)};
  for (char c : header) b.push_back(static_cast<uint8_t>(c));  // (insert trips a GCC 12 warning)
  b.resize(b.size() + payload, 0);
  return b;
}

TEST(Npy, WriteThenParseRoundTrip) {
  const std::string path =
      ::testing::TempDir() + "/tessera_npy_" + std::to_string(getpid()) + ".npy";
  std::vector<float> data(6);
  for (int i = 0; i < 6; ++i) data[i] = i * 0.5f - 1.0f;
  write_npy(path, data.data(), {2, 3});
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> file{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  std::remove(path.c_str());
  ASSERT_GT(file.size(), 10u);
  EXPECT_EQ((10 + (file[8] | file[9] << 8)) % 64, 0);  // header padded to 64 bytes as NumPy does
  NpyView v = parse_npy(file.data(), file.size(), path);
  EXPECT_EQ(v.descr, "<f4");
  EXPECT_FALSE(v.fortran_order);
  EXPECT_EQ(v.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(npy_to_f32(v, {2, 3}, path), data);
  EXPECT_THROW(npy_to_f32(v, {3, 2}, path), Error);
}

TEST(Npy, OneDimensionalShapeHasTrailingComma) {
  const std::string path =
      ::testing::TempDir() + "/tessera_npy1_" + std::to_string(getpid()) + ".npy";
  float x[3] = {1, 2, 3};
  write_npy(path, x, {3});
  std::ifstream f(path, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  std::remove(path.c_str());
  EXPECT_NE(text.find("'shape': (3,)"), std::string::npos);
}

TEST(Npy, WriteToBadPathNamesIt) {
  float x = 0;
  try {
    write_npy("/nonexistent/dir/out.npy", &x, {1});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/out.npy"), std::string::npos);
  }
}

TEST(Npy, RejectsHostileHeaders) {
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  EXPECT_NO_THROW(parse_npy(npy_v1(ok, 16).data(), 10 + ok.size() + 16, "a.npy"));
  auto check = [](const std::vector<uint8_t>& b, const std::string& cause) {
    try {
      parse_npy(b.data(), b.size(), "a.npy");
      ADD_FAILURE() << "expected error: " << cause;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("a.npy"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find(cause), std::string::npos) << e.what();
    }
  };
  check(npy_v1(ok, 15), "truncated");
  check(bytes_of("\x93NUMPX\x01\x00"), "not a .npy");
  auto long_header = npy_v1(ok, 16);
  long_header[8] = 0xff;
  long_header[9] = 0xff;
  check(long_header, "header length");
  check(npy_v1("{'descr': '<f4', 'fortran_order': False, }", 0), "no 'shape'");
  check(
      npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999, 99999999), }", 0),
      "too large");
  check(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776, "
               "1099511627776), }",
               0),
        "overflows");
  check(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", 0), "non-numeric");
  check(npy_v1("{'descr': 'O', 'fortran_order': False, 'shape': (2,), }", 0), "dtype");
  check(npy_v1("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 0), "fortran_order");
  auto v9 = npy_v1(ok, 16);
  v9[6] = 9;
  check(v9, "version 9");
}

}  // namespace
}  // namespace tessera
