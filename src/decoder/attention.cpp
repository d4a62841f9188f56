#include "decoder/attention.h"

#include "decoder/vector_math.h"

namespace tessera::decoder {

// Cloned for Haswell-class CPUs (AVX2 + FMA) and the baseline; the loader picks one at startup.
[[gnu::target_clones("arch=haswell", "default")]] void attend_block(
    int n_rows, const float* const* q, const int* keys, const HeadKv& kv, int d_head, float scale,
    float* scores, int64_t score_stride, float* const* out) {
  int max_keys = 0;
  for (int g = 0; g < n_rows; ++g) {
    max_keys = keys[g] > max_keys ? keys[g] : max_keys;
    float* s = scores + g * score_stride;
    for (int j = 0; j < keys[g]; ++j) s[j] = 0.0f;
  }
  // Scores: one pass over the K^T lines, each line reused by every row of the block.
  for (int c = 0; c < d_head; ++c) {
    const float* line = kv.kt + c * kv.kt_stride;
    for (int g = 0; g < n_rows; ++g) {
      const float qc = q[g][c] * scale;
      float* s = scores + g * score_stride;
      const int n = keys[g];
      for (int j = 0; j < n; ++j) s[j] += qc * line[j];
    }
  }
  float inv_sum[kAttentionBlockRows];
  for (int g = 0; g < n_rows; ++g) {
    float* s = scores + g * score_stride;
    const float m = max_f32(s, keys[g]);
    for (int j = 0; j < keys[g]; ++j) s[j] -= m;
    exp_f32(s, s, keys[g]);
    inv_sum[g] = 1.0f / sum_f32(s, keys[g]);
    for (int c = 0; c < d_head; ++c) out[g][c] = 0.0f;
  }
  // Weighted values: one pass over the value rows.
  for (int j = 0; j < max_keys; ++j) {
    const float* vrow = kv.v + j * kv.v_stride;
    for (int g = 0; g < n_rows; ++g) {
      if (j >= keys[g]) continue;
      const float p = scores[g * score_stride + j];
      float* o = out[g];
      for (int c = 0; c < d_head; ++c) o[c] += p * vrow[c];
    }
  }
  for (int g = 0; g < n_rows; ++g)
    for (int c = 0; c < d_head; ++c) out[g][c] *= inv_sum[g];
}

}  // namespace tessera::decoder
