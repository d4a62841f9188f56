// Attention of a few query rows over one head's cached keys and values.
//
// Layout per head (d_head a multiple of kKeyTile):
//   keys:   tiles of kKeyTile positions, each d_head x kKeyTile, channel-major inside the tile:
//           key position p, channel c at  k[(p / kKeyTile * d_head + c) * kKeyTile + p % kKeyTile]
//   values: position-major, value p, channel c at v[p * d_head + c]
// Scores are then a register-blocked loop over contiguous tiles (every tile read once for the
// whole block of query rows: all beams of a window share one pass over its encoder frames), and
// the weighted sum of values one over contiguous rows. Both are compiled for AVX2 + FMA + F16C
// and for baseline x86-64 and picked at run time.
#pragma once

#include <cstdint>

namespace tessera::decoder {

inline constexpr int kKeyTile = 16;
inline constexpr int kAttentionBlockRows = 6;  // query rows per pass over K and V

// How keys and values are stored: float32, IEEE half precision (uint16_t), or int8 with one scale
// per position (real key p = k_scale[p] * k[p], the same for values).
enum class KvElem : uint8_t { F32, F16, I8 };

struct HeadKv {
  const void* k;  // tiles (see above)
  const void* v;  // rows of d_head
  KvElem elem = KvElem::F32;
  const float* k_scale = nullptr;  // I8: per key position
  const float* v_scale = nullptr;  // I8: per value position
};

// Offset of key position p, channel c inside a head's key tiles.
inline int64_t key_offset(int p, int c, int d_head) {
  return (static_cast<int64_t>(p / kKeyTile) * d_head + c) * kKeyTile + p % kKeyTile;
}

// Positions rounded up to whole tiles.
inline int padded_positions(int n) {
  return (n + kKeyTile - 1) / kKeyTile * kKeyTile;
}

// For each row g < n_rows (<= kAttentionBlockRows):
//   out[g][0..d_head) = softmax(scale * q[g] . K[0..keys[g])) V[0..keys[g]).
// scores: scratch of n_rows * score_stride floats, score_stride >= padded_positions(max keys).
// Key tiles are read whole: positions past keys[g] in the last tile must hold finite values.
void attend_block(int n_rows, const float* const* q, const int* keys, const HeadKv& kv, int d_head,
                  float scale, float* scores, int64_t score_stride, float* const* out);
// The plain-loop twin attend_block dispatches away from on AVX2 CPUs (for tests).
void attend_block_baseline(int n_rows, const float* const* q, const int* keys, const HeadKv& kv,
                           int d_head, float scale, float* scores, int64_t score_stride,
                           float* const* out);

}  // namespace tessera::decoder
