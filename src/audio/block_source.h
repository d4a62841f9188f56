// An AudioSource that produces samples a block at a time (a packet, a run of WAV frames) and hands
// them out in whatever amounts read() asks for.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "tessera/audio.h"

namespace tessera::audio {

class BlockSource : public AudioSource {
 public:
  size_t read(float* out, size_t max) final {
    while (pos_ == pending_.size() && !finished_) {
      pending_.clear();
      pos_ = 0;
      next_block();
    }
    const size_t n = std::min(max, pending_.size() - pos_);
    std::copy_n(pending_.data() + pos_, n, out);
    pos_ += n;
    delivered_ += n;
    return n;
  }

 protected:
  // Appends the next block of samples to pending_ (possibly none), and sets finished_ at the end.
  virtual void next_block() = 0;

  std::vector<float> pending_;  // samples not yet handed out, from pos_
  bool finished_ = false;
  size_t delivered_ = 0;  // samples handed out so far

 private:
  size_t pos_ = 0;
};

}  // namespace tessera::audio
