// Raw DEFLATE (RFC 1951) and CRC-32 (zlib underneath), to read the bundled mel_filters.npz (a zip
// whose members numpy stores deflated).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::audio {

// Decompresses a raw deflate stream that must expand to exactly `expected_size` bytes.
// Throws tessera::Error naming `name` on any malformed or truncated stream, or a size mismatch.
std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, size_t expected_size,
                                 const std::string& name);

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace tessera::audio
