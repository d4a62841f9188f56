// A small canonical-Huffman inflater in the style of zlib's contrib/puff: decode is bit-serial,
// which is plenty for the few kilobytes of compressed filter banks it reads once per process.
#include "audio/inflate.h"

#include <array>

#include "tessera/error.h"

namespace tessera::audio {

namespace {

constexpr int kMaxBits = 15;

struct Huffman {
  std::array<uint16_t, kMaxBits + 1> count{};  // number of codes of each length
  std::array<uint16_t, 288> symbol{};          // symbols ordered by code
};

class Inflater {
 public:
  Inflater(const uint8_t* in, size_t size, size_t expected, const std::string& name)
      : in_(in), size_(size), expected_(expected), name_(name) {
    out_.reserve(expected);
  }

  std::vector<uint8_t> run() {
    bool last = false;
    while (!last) {
      last = bits(1) != 0;
      switch (bits(2)) {
        case 0:
          stored();
          break;
        case 1:
          fixed();
          break;
        case 2:
          dynamic();
          break;
        default:
          fail("reserved block type 3");
      }
    }
    if (out_.size() != expected_)
      fail("expanded to " + std::to_string(out_.size()) + " bytes, expected " +
           std::to_string(expected_));
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(name_ + ": corrupt deflate stream: " + why);
  }

  int bits(int need) {
    uint32_t val = bitbuf_;
    while (bitcnt_ < need) {
      if (pos_ >= size_) fail("unexpected end of compressed data");
      val |= uint32_t{in_[pos_++]} << bitcnt_;
      bitcnt_ += 8;
    }
    bitbuf_ = val >> need;
    bitcnt_ -= need;
    return static_cast<int>(val & ((1u << need) - 1));
  }

  void emit(uint8_t b) {
    if (out_.size() >= expected_) fail("expands past the declared size");
    out_.push_back(b);
  }

  void stored() {
    bitbuf_ = 0;
    bitcnt_ = 0;
    if (size_ - pos_ < 4) fail("stored block header truncated");
    unsigned len = in_[pos_] | (in_[pos_ + 1] << 8);
    unsigned nlen = in_[pos_ + 2] | (in_[pos_ + 3] << 8);
    pos_ += 4;
    if (len != (~nlen & 0xffffu)) fail("stored block length check failed");
    if (size_ - pos_ < len) fail("stored block runs past the end");
    for (unsigned i = 0; i < len; ++i) emit(in_[pos_ + i]);
    pos_ += len;
  }

  // Builds a canonical code from code lengths; incomplete codes are allowed only for a single
  // distance code (as zlib does), over-subscribed codes never.
  void build(Huffman& h, const uint8_t* lengths, int n) {
    h.count.fill(0);
    for (int s = 0; s < n; ++s) h.count[lengths[s]]++;
    if (h.count[0] == n) return;  // no codes: a decode attempt will fail
    int left = 1;
    for (int len = 1; len <= kMaxBits; ++len) {
      left = (left << 1) - h.count[len];
      if (left < 0) fail("over-subscribed Huffman code");
    }
    std::array<uint16_t, kMaxBits + 1> offs{};
    for (int len = 1; len < kMaxBits; ++len) offs[len + 1] = offs[len] + h.count[len];
    for (int s = 0; s < n; ++s)
      if (lengths[s] != 0) h.symbol[offs[lengths[s]]++] = static_cast<uint16_t>(s);
  }

  int decode(const Huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
      code |= bits(1);
      int count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    fail("invalid Huffman code");
  }

  void codes(const Huffman& lencode, const Huffman& distcode) {
    static const uint16_t kLenBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                          15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                          67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const uint8_t kLenExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                          2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const uint16_t kDistBase[30] = {
        1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
        193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                           6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int sym = decode(lencode);
      if (sym < 256) {
        emit(static_cast<uint8_t>(sym));
      } else if (sym == 256) {
        return;
      } else {
        sym -= 257;
        if (sym >= 29) fail("invalid length symbol");
        size_t len = kLenBase[sym] + bits(kLenExtra[sym]);
        int dsym = decode(distcode);
        if (dsym >= 30) fail("invalid distance symbol");
        size_t dist = kDistBase[dsym] + bits(kDistExtra[dsym]);
        if (dist > out_.size()) fail("distance reaches before the start of the output");
        for (size_t i = 0; i < len; ++i) emit(out_[out_.size() - dist]);
      }
    }
  }

  void fixed() {
    uint8_t lengths[288 + 30];
    int s = 0;
    for (; s < 144; ++s) lengths[s] = 8;
    for (; s < 256; ++s) lengths[s] = 9;
    for (; s < 280; ++s) lengths[s] = 7;
    for (; s < 288; ++s) lengths[s] = 8;
    Huffman lencode, distcode;
    build(lencode, lengths, 288);
    for (s = 0; s < 30; ++s) lengths[s] = 5;
    build(distcode, lengths, 30);
    codes(lencode, distcode);
  }

  void dynamic() {
    static const uint8_t kOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                       11, 4,  12, 3, 13, 2, 14, 1, 15};
    int nlen = bits(5) + 257;
    int ndist = bits(5) + 1;
    int ncode = bits(4) + 4;
    if (nlen > 286 || ndist > 30) fail("too many length or distance codes");
    uint8_t lengths[286 + 30] = {};
    for (int i = 0; i < ncode; ++i) lengths[kOrder[i]] = static_cast<uint8_t>(bits(3));
    Huffman lencode, distcode;
    build(lencode, lengths, 19);
    int index = 0;
    while (index < nlen + ndist) {
      int sym = decode(lencode);
      if (sym < 16) {
        lengths[index++] = static_cast<uint8_t>(sym);
        continue;
      }
      uint8_t len = 0;
      int repeat;
      if (sym == 16) {
        if (index == 0) fail("repeat with no previous length");
        len = lengths[index - 1];
        repeat = 3 + bits(2);
      } else if (sym == 17) {
        repeat = 3 + bits(3);
      } else {
        repeat = 11 + bits(7);
      }
      if (index + repeat > nlen + ndist) fail("code lengths run past the declared count");
      while (repeat--) lengths[index++] = len;
    }
    if (lengths[256] == 0) fail("no end-of-block code");
    build(lencode, lengths, nlen);
    build(distcode, lengths + nlen, ndist);
    codes(lencode, distcode);
  }

  const uint8_t* in_;
  size_t size_;
  size_t pos_ = 0;
  uint32_t bitbuf_ = 0;
  int bitcnt_ = 0;
  size_t expected_;
  const std::string& name_;
  std::vector<uint8_t> out_;
};

}  // namespace

std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, size_t expected_size,
                                 const std::string& name) {
  return Inflater(data, size, expected_size, name).run();
}

uint32_t crc32(const uint8_t* data, size_t size) {
  static const auto kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = kTable[(c ^ data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace tessera::audio
