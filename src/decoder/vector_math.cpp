#include "decoder/vector_math.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "decoder/exp_inline.h"

namespace tessera::decoder {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int kLanes = 8;  // independent accumulators, so reductions vectorize without fast-math

}  // namespace

void exp_f32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = exp_one(x[i]);
}

float max_f32(const float* x, int64_t n) {
  float lane[kLanes];
  for (float& l : lane) l = kNegInf;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] = x[i + l] > lane[l] ? x[i + l] : lane[l];
  float m = kNegInf;
  for (float l : lane) m = l > m ? l : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

int64_t argmax_f32(const float* x, int64_t n) {
  if (n <= 0) return -1;
  const float m = max_f32(x, n);
  for (int64_t i = 0; i < n; ++i)
    if (x[i] == m) return i;
  // NaNs present and nothing compares equal to the maximum: fall back to the first NaN, as torch.
  for (int64_t i = 0; i < n; ++i)
    if (std::isnan(x[i])) return i;
  return 0;
}

float sum_f32(const float* x, int64_t n) {
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += x[i + l];
  float s = 0;
  for (float l : lane) s += l;
  for (; i < n; ++i) s += x[i];
  return s;
}

namespace {

// sum(exp(x - m)) without storing the exponentials.
float sum_exp_shifted(const float* x, int64_t n, float m) {
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += exp_one(x[i + l] - m);
  float s = 0;
  for (float l : lane) s += l;
  for (; i < n; ++i) s += exp_one(x[i] - m);
  return s;
}

}  // namespace

void softmax_inplace(float* x, int64_t n) {
  if (n <= 0) return;
  const float m = max_f32(x, n);
  if (m == kNegInf) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::numeric_limits<float>::quiet_NaN();
    return;
  }
  for (int64_t i = 0; i < n; ++i) x[i] = exp_one(x[i] - m);
  const float inv = 1.0f / sum_f32(x, n);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float logsumexp_f32(const float* x, int64_t n) {
  const float m = max_f32(x, n);
  if (m == kNegInf || std::isinf(m)) return m;
  return m + std::log(sum_exp_shifted(x, n, m));
}

void log_softmax_f32(const float* x, float* out, int64_t n) {
  if (n <= 0) return;
  const float lse = logsumexp_f32(x, n);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] - lse;
}

int top_k_f32(const float* x, int64_t n, int k, int* index_out, float* value_out) {
  if (k <= 0 || n <= 0) return 0;
  const int want = n < k ? static_cast<int>(n) : k;
  int count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    // Strictly greater than the current k-th: equal values keep index order.
    if (count == want && !(v > value_out[want - 1])) continue;
    int pos = count < want ? count++ : want - 1;
    while (pos > 0 && v > value_out[pos - 1]) {
      value_out[pos] = value_out[pos - 1];
      index_out[pos] = index_out[pos - 1];
      --pos;
    }
    value_out[pos] = v;
    index_out[pos] = static_cast<int>(i);
  }
  return count;
}

}  // namespace tessera::decoder
