#include "audio/mel_filters.h"

#include <string>

#include "audio/zip_archive.h"
#include "runtime/npy.h"
#include "tessera/error.h"

namespace tessera::audio {

namespace {

static const unsigned char kMelNpz[] = {
#include "mel_filters_npz.inc"
};

std::vector<float> load(int n_mels) {
  const std::string archive = "mel_filters.npz (bundled)";
  const std::string member = "mel_" + std::to_string(n_mels) + ".npy";
  std::vector<uint8_t> npy = zip_extract(kMelNpz, sizeof(kMelNpz), member, archive);
  NpyView view = parse_npy(npy.data(), npy.size(), archive + ": " + member);
  return npy_to_f32(view, {n_mels, kFftBins}, archive + ": " + member);
}

}  // namespace

const std::vector<float>& bundled_mel_filters(int n_mels) {
  if (n_mels == 80) {
    static const std::vector<float> bank = load(80);
    return bank;
  }
  if (n_mels == 128) {
    static const std::vector<float> bank = load(128);
    return bank;
  }
  throw Error("mel filters: n_mels must be 80 or 128, got " + std::to_string(n_mels));
}

}  // namespace tessera::audio
