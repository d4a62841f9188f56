// Keys and values of the decoder's attention layers, for a number of slots (sequences for
// self-attention, windows for cross-attention), in attention.h's per-head layout: per slot and
// layer, every head's key tiles, then every head's value rows, over `positions` rounded up to
// whole key tiles. Elements are float32 or IEEE half precision.
#pragma once

#include <cstddef>
#include <cstdint>

#include "decoder/attention.h"
#include "runtime/aligned_buffer.h"

namespace tessera::decoder {

class KvStore {
 public:
  // Allocates (and touches) all slots at once.
  KvStore(int slots, int layers, int d, int heads, int positions, bool half);

  // One head's keys and values in a slot, for attend_block().
  HeadKv head(int slot, int layer, int hd) const;
  // Stores position pos of every head: k and v hold d floats each (head after head).
  void write(int slot, int layer, int pos, const float* k, const float* v);
  // Copies positions [0, len) of one layer from slot `from` to slot `to`.
  void copy(int from, int to, int layer, int len);

  bool half() const { return half_; }
  size_t bytes() const { return storage_.size() * sizeof(float); }

 private:
  unsigned char* slot_base(int slot, int layer) const;
  unsigned char* keys(int slot, int layer, int hd) const;
  unsigned char* values(int slot, int layer, int hd) const;

  int layers_, d_, heads_, dh_, cap_;
  bool half_;
  size_t esize_;
  AlignedBuffer<float> storage_;  // raw bytes
};

}  // namespace tessera::decoder
