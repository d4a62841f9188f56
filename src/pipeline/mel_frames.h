// Where the transcription loops read log-mel frames from: a whole-file LogMel held in memory
// (tests, small inputs) or a LogMelStream that computes frames as the loops move forward and
// forgets the ones they are done with, so a long file costs memory for a few windows, not for its
// length.
#pragma once

#include <cstddef>
#include <memory>

#include "tessera/mel.h"

namespace tessera::pipeline {

class MelFrames {
 public:
  virtual ~MelFrames() = default;
  virtual int n_mels() const = 0;
  // Frames of the audio itself, and with the 30 s of zero padding (openai-whisper's whole-file
  // mel).
  virtual long long content_frames() const = 0;
  virtual long long total_frames() const = 0;
  // The value every band of a digital-silence frame has (the zero padding's value).
  virtual float silence_value() const = 0;
  // Frames [offset, offset + count) as n_mels rows of `count` values, `stride` floats apart.
  virtual void copy(long long offset, int count, float* out, size_t stride) = 0;
  // Frames before `frame` will not be asked for again.
  virtual void release_before(long long frame) = 0;
};

// A view of a whole-file mel (MelFrontend::whole: content + 3000 padding frames); throws
// tessera::Error for anything shorter. `mel` must outlive the view.
std::unique_ptr<MelFrames> whole_mel_frames(const LogMel& mel);
// A view of a stream (which must outlive the view).
std::unique_ptr<MelFrames> stream_mel_frames(LogMelStream& stream);

}  // namespace tessera::pipeline
