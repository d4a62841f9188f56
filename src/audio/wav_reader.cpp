// RIFF/WAVE reader. Policy on sizes that disagree with the file: the RIFF size is ignored, and a
// data chunk that claims more bytes than the file holds (a truncated file, or 0xFFFFFFFF from a
// streaming writer) is clamped to the bytes present, dropping a trailing partial sample frame.
#include "audio/wav_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "runtime/mapped_file.h"
#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera {

namespace {

constexpr uint16_t kFormatPcm = 0x0001;
constexpr uint16_t kFormatFloat = 0x0003;
constexpr uint16_t kFormatExtensible = 0xFFFE;
// The 14 bytes after the 2-byte format code in a KSDATAFORMAT_SUBTYPE_* GUID.
constexpr uint8_t kGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                   0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

struct WavLayout {
  uint16_t format = 0;  // effective: PCM or float after resolving EXTENSIBLE; 0 if no fmt chunk
  uint16_t channels = 0;
  uint32_t sample_rate = 0;
  uint16_t block_align = 0;
  uint16_t bits = 0;
  bool has_fmt = false;
  const uint8_t* data = nullptr;
  uint64_t data_bytes = 0;
  bool has_data = false;
};

bool tag_is(const uint8_t* p, const char* tag) {
  return std::memcmp(p, tag, 4) == 0;
}

// Walks the chunk list. Throws on a malformed header or fmt chunk; semantic checks come later.
WavLayout scan_chunks(const uint8_t* bytes, size_t size, const std::string& name) {
  ByteReader r(bytes, size, name);
  const uint8_t* riff = r.take(4, "RIFF header");
  bool rf64 = tag_is(riff, "RF64");
  if (!tag_is(riff, "RIFF") && !rf64) r.fail("RIFF header", "not a RIFF file (no 'RIFF' tag)");
  r.read<uint32_t>("RIFF size");
  if (!tag_is(r.take(4, "WAVE tag"), "WAVE")) r.fail("WAVE tag", "RIFF file is not WAVE");

  WavLayout w;
  uint64_t rf64_data_size = 0;
  while (r.remaining() >= 8) {
    const uint8_t* id = r.take(4, "chunk id");
    uint64_t chunk = r.read<uint32_t>("chunk size");
    if (tag_is(id, "ds64")) {
      if (chunk < 24 || chunk > r.remaining()) r.fail("ds64 chunk", "truncated");
      ByteReader ds(r.take(static_cast<size_t>(chunk), "ds64 chunk"), chunk, name);
      ds.read<uint64_t>("ds64 RIFF size");
      rf64_data_size = ds.read<uint64_t>("ds64 data size");
    } else if (tag_is(id, "fmt ")) {
      if (chunk < 16) r.fail("fmt chunk", "size " + std::to_string(chunk) + " is below 16");
      if (chunk > r.remaining()) r.fail("fmt chunk", "runs past the end of the file");
      ByteReader f(r.take(static_cast<size_t>(chunk), "fmt chunk"), chunk, name);
      w.format = f.read<uint16_t>("fmt format tag");
      w.channels = f.read<uint16_t>("fmt channels");
      w.sample_rate = f.read<uint32_t>("fmt sample rate");
      f.read<uint32_t>("fmt byte rate");
      w.block_align = f.read<uint16_t>("fmt block align");
      w.bits = f.read<uint16_t>("fmt bits per sample");
      if (w.format == kFormatExtensible) {
        if (chunk < 40) r.fail("fmt chunk", "WAVE_FORMAT_EXTENSIBLE needs 40 bytes");
        f.read<uint16_t>("fmt extension size");
        uint16_t valid_bits = f.read<uint16_t>("fmt valid bits");
        f.read<uint32_t>("fmt channel mask");
        const uint8_t* guid = f.take(16, "fmt sub-format GUID");
        if (valid_bits > w.bits) r.fail("fmt valid bits", "exceeds the container size");
        w.format = static_cast<uint16_t>(guid[0] | (guid[1] << 8));
        if (std::memcmp(guid + 2, kGuidTail, sizeof(kGuidTail)) != 0) w.format = 0xFFFF;
      }
      w.has_fmt = true;
    } else if (tag_is(id, "data")) {
      if (rf64 && chunk == 0xFFFFFFFFu && rf64_data_size != 0) chunk = rf64_data_size;
      w.data_bytes = std::min<uint64_t>(chunk, r.remaining());  // clamp: see the policy above
      w.data = r.take(static_cast<size_t>(w.data_bytes), "data chunk");
      w.has_data = true;
      if (w.has_fmt) break;  // everything needed is known; ignore trailing chunks
      chunk = w.data_bytes;
    } else {
      // LIST, fact, cue, bext, ...: skipped. A truncated one after the data is harmless.
      if (chunk > r.remaining()) break;
      r.take(static_cast<size_t>(chunk), "chunk body");
    }
    if ((chunk & 1) && r.remaining() > 0) r.take(1, "chunk pad byte");  // RIFF word alignment
  }
  return w;
}

template <typename Decode>
void convert(const uint8_t* p, size_t count, size_t step, float* out, Decode decode) {
  for (size_t i = 0; i < count; ++i) out[i] = decode(p + i * step);
}

}  // namespace

namespace audio {

bool is_native_wav(const uint8_t* data, size_t size) {
  try {
    WavLayout w = scan_chunks(data, size, "");
    return w.has_fmt && (w.format == kFormatPcm || w.format == kFormatFloat);
  } catch (const Error&) {
    return false;
  }
}

WavData inspect_wav(const uint8_t* data, size_t size, const std::string& name) {
  if (data == nullptr || size == 0) throw Error(name + ": empty file (not a WAV file)");
  WavLayout w = scan_chunks(data, size, name);
  if (!w.has_fmt) throw Error(name + ": WAV file has no fmt chunk");
  if (!w.has_data) throw Error(name + ": WAV file has no data chunk");
  if (w.format != kFormatPcm && w.format != kFormatFloat) {
    char tag[8];
    std::snprintf(tag, sizeof(tag), "0x%04x", w.format);
    throw Error(name + ": unsupported WAV encoding (format tag " + tag +
                "); only integer PCM and IEEE float are read natively");
  }
  if (w.channels == 0 || w.channels > kMaxChannels)
    throw Error(name + ": WAV fmt channels = " + std::to_string(w.channels) + " (must be 1.." +
                std::to_string(kMaxChannels) + ")");
  if (w.sample_rate < kMinSampleRate || w.sample_rate > kMaxSampleRate)
    throw Error(name + ": WAV fmt sample rate " + std::to_string(w.sample_rate) +
                " Hz is outside " + std::to_string(kMinSampleRate) + ".." +
                std::to_string(kMaxSampleRate));
  bool ok_bits = w.format == kFormatPcm
                     ? (w.bits == 8 || w.bits == 16 || w.bits == 24 || w.bits == 32)
                     : (w.bits == 32 || w.bits == 64);
  if (!ok_bits)
    throw Error(name + ": unsupported WAV bits per sample " + std::to_string(w.bits) + " for " +
                (w.format == kFormatPcm ? "integer PCM" : "IEEE float"));
  const size_t sample_bytes = w.bits / 8;
  if (w.block_align != w.channels * sample_bytes)
    throw Error(name + ": WAV fmt block align " + std::to_string(w.block_align) +
                " does not match " + std::to_string(w.channels) + " channels x " +
                std::to_string(sample_bytes) + " bytes");
  WavData d;
  d.sample_rate = static_cast<int>(w.sample_rate);
  d.channels = w.channels;
  d.frames = static_cast<size_t>(w.data_bytes / w.block_align);
  d.is_float = w.format == kFormatFloat;
  d.bits = w.bits;
  d.data = w.data;
  return d;
}

void decode_wav(const WavData& d, size_t first_frame, size_t n_frames, float* out) {
  const size_t step = d.bits / 8;
  const size_t count = n_frames * d.channels;
  const uint8_t* src = d.data + first_frame * d.channels * step;
  if (d.is_float && d.bits == 32) {
    convert(src, count, 4, out, [](const uint8_t* p) {
      float v;
      std::memcpy(&v, p, 4);
      return std::isfinite(v) ? v : 0.0f;  // NaN/Inf would poison every later stage
    });
  } else if (d.is_float) {
    convert(src, count, 8, out, [](const uint8_t* p) {
      double v;
      std::memcpy(&v, p, 8);
      return std::isfinite(v) ? static_cast<float>(v) : 0.0f;
    });
  } else if (d.bits == 8) {
    convert(src, count, 1, out, [](const uint8_t* p) { return (int{p[0]} - 128) / 128.0f; });
  } else if (d.bits == 16) {
    convert(src, count, 2, out, [](const uint8_t* p) {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v / 32768.0f;
    });
  } else if (d.bits == 24) {
    convert(src, count, 3, out, [](const uint8_t* p) {
      int32_t v =
          static_cast<int32_t>(uint32_t{p[0]} << 8 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 24) >>
          8;
      return v / 8388608.0f;
    });
  } else {
    convert(src, count, 4, out, [](const uint8_t* p) {
      int32_t v;
      std::memcpy(&v, p, 4);
      return static_cast<float>(v / 2147483648.0);
    });
  }
}

void average_channels(const float* interleaved, size_t frames, int channels, float* mono) {
  const float scale = 1.0f / static_cast<float>(channels);
  for (size_t i = 0; i < frames; ++i) {
    const float* f = interleaved + i * channels;
    float sum = 0.0f;
    for (int c = 0; c < channels; ++c) sum += f[c];
    mono[i] = sum * scale;
  }
}

}  // namespace audio

AudioBuffer parse_wav(const uint8_t* data, size_t size, const std::string& name) {
  audio::WavData d = audio::inspect_wav(data, size, name);
  AudioBuffer out;
  out.sample_rate = d.sample_rate;
  out.channels = d.channels;
  out.samples.resize(d.frames * d.channels);
  audio::decode_wav(d, 0, d.frames, out.samples.data());
  return out;
}

AudioBuffer read_wav(const std::string& path) {
  auto file = MappedFile::open(path);
  return parse_wav(file->data(), file->size(), path);
}

std::vector<float> to_mono(const AudioBuffer& in) {
  if (in.channels <= 0) throw Error("to_mono: channel count " + std::to_string(in.channels));
  const size_t ch = static_cast<size_t>(in.channels);
  if (in.samples.size() % ch != 0)
    throw Error("to_mono: " + std::to_string(in.samples.size()) + " samples is not a multiple of " +
                std::to_string(ch) + " channels");
  if (ch == 1) return in.samples;
  const size_t frames = in.samples.size() / ch;
  std::vector<float> mono(frames);
  audio::average_channels(in.samples.data(), frames, in.channels, mono.data());
  return mono;
}

}  // namespace tessera
