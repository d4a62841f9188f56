// Builds RIFF/WAVE byte images in memory for the reader tests, including deliberately broken ones.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tessera::test {

struct WavSpec {
  uint16_t format = 1;  // 1 PCM, 3 float, 0xFFFE extensible
  uint16_t channels = 1;
  uint32_t rate = 16000;
  uint16_t bits = 16;
  int block_align = -1;          // -1: channels * bits / 8
  uint16_t sub_format = 1;       // for extensible
  bool odd_list_before = false;  // a LIST chunk of odd size (padded) before fmt
  bool data_before_fmt = false;
  int64_t data_size_field = -1;  // -1: the true size; otherwise written as given
};

class WavBuilder {
 public:
  static void put16(std::vector<uint8_t>& b, uint16_t v) {
    b.push_back(v & 0xff);
    b.push_back(v >> 8);
  }
  static void put32(std::vector<uint8_t>& b, uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back((v >> (8 * i)) & 0xff);
  }
  static void tag(std::vector<uint8_t>& b, const char* t) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(t[i]));
  }

  static std::vector<uint8_t> fmt_chunk(const WavSpec& s) {
    std::vector<uint8_t> c;
    const bool ext = s.format == 0xFFFE;
    tag(c, "fmt ");
    put32(c, ext ? 40 : 16);
    put16(c, s.format);
    put16(c, s.channels);
    put32(c, s.rate);
    const uint16_t align =
        s.block_align >= 0 ? static_cast<uint16_t>(s.block_align) : s.channels * s.bits / 8;
    put32(c, s.rate * align);
    put16(c, align);
    put16(c, s.bits);
    if (ext) {
      put16(c, 22);
      put16(c, s.bits);
      put32(c, s.channels == 2 ? 3 : 4);
      put16(c, s.sub_format);
      const uint8_t tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
      c.insert(c.end(), tail, tail + 14);
    }
    return c;
  }

  // `payload` is the raw sample bytes of the data chunk.
  static std::vector<uint8_t> build(const WavSpec& s, const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> body;
    tag(body, "WAVE");
    if (s.odd_list_before) {
      tag(body, "LIST");
      put32(body, 5);
      tag(body, "INFO");
      body.push_back('x');
      body.push_back(0);  // pad byte
    }
    std::vector<uint8_t> data;
    tag(data, "data");
    put32(data, s.data_size_field >= 0 ? static_cast<uint32_t>(s.data_size_field)
                                       : static_cast<uint32_t>(payload.size()));
    data.insert(data.end(), payload.begin(), payload.end());
    if (payload.size() % 2 && s.data_size_field < 0) data.push_back(0);
    std::vector<uint8_t> fmt = fmt_chunk(s);
    if (s.data_before_fmt) {
      body.insert(body.end(), data.begin(), data.end());
      body.insert(body.end(), fmt.begin(), fmt.end());
    } else {
      body.insert(body.end(), fmt.begin(), fmt.end());
      body.insert(body.end(), data.begin(), data.end());
    }
    std::vector<uint8_t> out;
    tag(out, "RIFF");
    put32(out, static_cast<uint32_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
    return out;
  }

  static std::vector<uint8_t> pcm16(const std::vector<int16_t>& v) {
    std::vector<uint8_t> b(v.size() * 2);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
  }
};

}  // namespace tessera::test
