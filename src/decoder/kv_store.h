// Keys and values of the decoder's attention layers, for a number of slots (sequences for
// self-attention, windows for cross-attention), in attention.h's per-head layout: per slot and
// layer, every head's key tiles, then every head's value rows, over `positions` rounded up to
// whole key tiles. Elements are float32, IEEE half precision, or int8 with a scale per position
// and head (symmetric, max |x| -> 127).
#pragma once

#include <cstddef>
#include <cstdint>

#include "decoder/attention.h"
#include "runtime/aligned_buffer.h"

namespace tessera::decoder {

class KvStore {
 public:
  // Allocates (and touches) all slots at once.
  KvStore(int slots, int layers, int d, int heads, int positions, KvElem elem);

  // One head's keys and values in a slot, for attend_block().
  HeadKv head(int slot, int layer, int hd) const;
  // Stores position pos of every head: k and v hold d floats each (head after head).
  void write(int slot, int layer, int pos, const float* k, const float* v);
  // Copies positions [0, len) of one layer from slot `from` to slot `to`.
  void copy(int from, int to, int layer, int len);

  KvElem elem() const { return elem_; }
  size_t bytes() const { return (storage_.size() + scales_.size()) * sizeof(float); }

 private:
  unsigned char* slot_base(int slot, int layer) const;
  unsigned char* keys(int slot, int layer, int hd) const;
  unsigned char* values(int slot, int layer, int hd) const;
  // I8: the per-position scales of one head's keys (kv 0) or values (kv 1).
  float* scales(int slot, int layer, int kv, int hd) const;

  int layers_, d_, heads_, dh_, cap_;
  KvElem elem_;
  size_t esize_;
  AlignedBuffer<float> storage_;  // raw bytes
  AlignedBuffer<float> scales_;   // I8 only
};

}  // namespace tessera::decoder
