#include "runtime/mapped_file.h"
#include "tessera/audio.h"
#include "tessera/error.h"

namespace tessera {

std::vector<float> load_audio(const std::string& path) {
  AudioBuffer buf = read_wav(path);
  if (buf.samples.empty()) throw Error(path + ": contains no audio samples");
  std::vector<float> mono = to_mono(buf);
  if (buf.sample_rate == kSampleRate) return mono;
  return resample(mono, buf.sample_rate, kSampleRate);
}

}  // namespace tessera
