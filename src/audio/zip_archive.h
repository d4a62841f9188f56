// Reads one member of an in-memory zip archive (stored or deflated), as found in numpy .npz files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::audio {

// Returns the uncompressed bytes of `member`, CRC-checked. Zip64 sizes and offsets are understood.
// Throws tessera::Error naming `name` if the archive is malformed or has no such member.
std::vector<uint8_t> zip_extract(const uint8_t* data, size_t size, const std::string& member,
                                 const std::string& name);

}  // namespace tessera::audio
