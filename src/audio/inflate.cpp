// Raw DEFLATE and CRC-32 through zlib.
#include "audio/inflate.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "tessera/error.h"

namespace tessera::audio {

std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, size_t expected_size,
                                 const std::string& name) {
  if (size > std::numeric_limits<uInt>::max() || expected_size > std::numeric_limits<uInt>::max())
    throw Error(name + ": deflate stream too large");
  std::vector<uint8_t> out(expected_size + 1);  // one spare byte detects a stream that expands more
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) throw Error(name + ": cannot start inflate");
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END)
    throw Error(name + ": corrupt or truncated deflate stream (" +
                (zs.msg ? std::string(zs.msg) : "zlib code " + std::to_string(rc)) + ")");
  if (produced != expected_size)
    throw Error(name + ": deflate stream expands to " + std::to_string(produced) + " bytes, expected " +
                std::to_string(expected_size));
  out.resize(produced);
  return out;
}

uint32_t crc32(const uint8_t* data, size_t size) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  while (size > 0) {
    uInt n = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = ::crc32(crc, data, n);
    data += n;
    size -= n;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace tessera::audio
