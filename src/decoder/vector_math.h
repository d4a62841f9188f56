// Row-wise float math for the decoder: exp, softmax, log-softmax, logsumexp, argmax, top-k.
// Plain loops written so the compiler vectorizes them (no libm calls in the inner loops).
#pragma once

#include <cstdint>

namespace tessera::decoder {

// y[i] = exp(x[i]); x = -inf gives 0. Relative error below 2e-7. y may alias x.
void exp_f32(const float* x, float* y, int64_t n);

float max_f32(const float* x, int64_t n);       // -inf for n == 0
int64_t argmax_f32(const float* x, int64_t n);  // first maximum (torch.argmax); -1 for n == 0
float sum_f32(const float* x, int64_t n);

// Softmax of each entry in place, computed in float; -inf entries get 0. All -inf gives NaN, like
// torch.
void softmax_inplace(float* x, int64_t n);
// log(sum(exp(x))) in float; -inf when every entry is -inf.
float logsumexp_f32(const float* x, int64_t n);
// out[i] = x[i] - logsumexp(x) (F.log_softmax); out may alias x.
void log_softmax_f32(const float* x, float* out, int64_t n);

// Indices of the k largest values, largest first; equal values in index order. Writes min(k, n)
// entries and returns that count.
int top_k_f32(const float* x, int64_t n, int k, int* index_out, float* value_out);
// sum(exp(x[i] - m)), without storing the exponentials.
float sum_exp_shifted(const float* x, int64_t n, float m);

// The plain loops the functions above dispatch away from on AVX2 + FMA CPUs (the tests' twins).
namespace scalar {
float max_f32(const float* x, int64_t n);
float sum_exp_shifted(const float* x, int64_t n, float m);
int top_k_f32(const float* x, int64_t n, int k, int* index_out, float* value_out);
}  // namespace scalar

}  // namespace tessera::decoder
