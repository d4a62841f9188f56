#include "audio/zip_archive.h"

#include <cstring>

#include "audio/inflate.h"
#include "runtime/mapped_file.h"

namespace tessera::audio {

namespace {

constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kSaturated = 0xFFFFFFFFu;

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

struct CentralDir {
  uint64_t offset = 0;
  uint64_t entries = 0;
};

CentralDir find_central_dir(const uint8_t* data, size_t size, const std::string& name) {
  if (size < 22)
    throw Error(name + ": zip archive too short for an end-of-central-directory record");
  size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (size_t at = size - 22 + 1; at-- > lowest;) {
    if (load_u32(data + at) != kEocdSig) continue;
    ByteReader r(data + at, size - at, name);
    r.read<uint32_t>("zip EOCD signature");
    r.take(6, "zip EOCD disk numbers");
    CentralDir cd;
    cd.entries = r.read<uint16_t>("zip EOCD entry count");
    r.read<uint32_t>("zip EOCD directory size");
    cd.offset = r.read<uint32_t>("zip EOCD directory offset");
    if (cd.offset == kSaturated || cd.entries == 0xFFFF) {
      if (at < 20 || load_u32(data + at - 20) != kZip64LocatorSig)
        throw Error(name + ": zip64 archive without a zip64 locator");
      ByteReader loc(data + at - 20, 20, name);
      loc.take(8, "zip64 locator header");
      uint64_t eocd64 = loc.read<uint64_t>("zip64 EOCD offset");
      if (eocd64 >= size) throw Error(name + ": zip64 EOCD offset past the end");
      ByteReader e(data + eocd64, size - eocd64, name);
      if (e.read<uint32_t>("zip64 EOCD signature") != kZip64EocdSig)
        throw Error(name + ": bad zip64 EOCD signature");
      e.take(8 + 4 + 4 + 4 + 8, "zip64 EOCD header");
      cd.entries = e.read<uint64_t>("zip64 EOCD entry count");
      e.read<uint64_t>("zip64 EOCD directory size");
      cd.offset = e.read<uint64_t>("zip64 EOCD directory offset");
    }
    if (cd.offset >= size) throw Error(name + ": zip central directory offset past the end");
    return cd;
  }
  throw Error(name + ": not a zip archive (no end-of-central-directory record)");
}

}  // namespace

std::vector<uint8_t> zip_extract(const uint8_t* data, size_t size, const std::string& member,
                                 const std::string& name) {
  CentralDir cd = find_central_dir(data, size, name);
  ByteReader r(data + cd.offset, size - cd.offset, name);
  for (uint64_t i = 0; i < cd.entries; ++i) {
    if (r.read<uint32_t>("zip central entry signature") != kCentralSig)
      throw Error(name + ": bad zip central directory entry signature");
    r.take(4, "zip central versions");
    uint16_t flags = r.read<uint16_t>("zip central flags");
    uint16_t method = r.read<uint16_t>("zip central method");
    r.take(4, "zip central time");
    uint32_t crc = r.read<uint32_t>("zip central crc");
    uint64_t csize = r.read<uint32_t>("zip central compressed size");
    uint64_t usize = r.read<uint32_t>("zip central size");
    uint16_t name_len = r.read<uint16_t>("zip central name length");
    uint16_t extra_len = r.read<uint16_t>("zip central extra length");
    uint16_t comment_len = r.read<uint16_t>("zip central comment length");
    r.take(8, "zip central attributes");
    uint64_t local = r.read<uint32_t>("zip central local offset");
    const char* entry_name = reinterpret_cast<const char*>(r.take(name_len, "zip entry name"));
    const uint8_t* extra = r.take(extra_len, "zip entry extra field");
    r.take(comment_len, "zip entry comment");
    if (std::string_view(entry_name, name_len) != member) continue;

    // Zip64 extended information: 64-bit values for whichever fields are saturated, in this order.
    ByteReader x(extra, extra_len, name);
    while (x.remaining() >= 4) {
      uint16_t id = x.read<uint16_t>("zip extra id");
      uint16_t len = x.read<uint16_t>("zip extra length");
      ByteReader field(x.take(len, "zip extra data"), len, name);
      if (id != 0x0001) continue;
      if (usize == kSaturated) usize = field.read<uint64_t>("zip64 size");
      if (csize == kSaturated) csize = field.read<uint64_t>("zip64 compressed size");
      if (local == kSaturated) local = field.read<uint64_t>("zip64 local offset");
    }
    if (flags & 1) throw Error(name + ": " + member + ": encrypted zip members are not supported");
    if (local >= size) throw Error(name + ": " + member + ": local header offset past the end");
    ByteReader lr(data + local, size - local, name);
    if (lr.read<uint32_t>("zip local signature") != kLocalSig)
      throw Error(name + ": " + member + ": bad local header signature");
    lr.take(22, "zip local header");
    uint16_t lname = lr.read<uint16_t>("zip local name length");
    uint16_t lextra = lr.read<uint16_t>("zip local extra length");
    lr.take(size_t{lname} + lextra, "zip local name and extra");
    if (csize > lr.remaining())
      throw Error(name + ": " + member + ": compressed data runs past the end of the archive");
    if (usize > (uint64_t{1} << 30)) throw Error(name + ": " + member + ": member too large");
    const uint8_t* payload = lr.take(static_cast<size_t>(csize), "zip member data");

    std::vector<uint8_t> out;
    if (method == 0) {
      if (csize != usize) throw Error(name + ": " + member + ": stored member size mismatch");
      out.assign(payload, payload + csize);
    } else if (method == 8) {
      out = inflate_raw(payload, static_cast<size_t>(csize), static_cast<size_t>(usize),
                        name + ": " + member);
    } else {
      throw Error(name + ": " + member + ": unsupported zip compression method " +
                  std::to_string(method));
    }
    if (crc32(out.data(), out.size()) != crc)
      throw Error(name + ": " + member + ": CRC-32 mismatch (corrupt archive)");
    return out;
  }
  throw Error(name + ": archive has no member '" + member + "'");
}

}  // namespace tessera::audio
