// Attention of a few query rows over cached keys and values, for one head.
//
// Keys are stored transposed per channel ("K^T": line c holds channel c of every key position,
// keys contiguous), values row-major (one row per position). Then both products are axpy loops
// over contiguous memory (q.K over positions, p.V over channels) that vectorize without
// reassociating sums, and every key/value line is read once for a whole block of query rows (all
// beams of a window share one pass over its encoder frames).
#pragma once

#include <cstdint>

namespace tessera::decoder {

inline constexpr int kAttentionBlockRows = 8;  // query rows handled per pass over K and V

struct HeadKv {
  const float* kt;  // line c (c < d_head) at kt + c * kt_stride, positions contiguous
  int64_t kt_stride;
  const float* v;  // position j's d_head values at v + j * v_stride
  int64_t v_stride;
};

// For each row g < n_rows (<= kAttentionBlockRows): out[g][0..d_head) =
// softmax(scale * q[g] . K[0..keys[g])) V[0..keys[g]). scores: scratch of
// n_rows * score_stride floats, score_stride >= max(keys).
void attend_block(int n_rows, const float* const* q, const int* keys, const HeadKv& kv, int d_head,
                  float scale, float* scores, int64_t score_stride, float* const* out);

}  // namespace tessera::decoder
