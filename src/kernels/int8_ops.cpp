// The int8 GEMM family: microkernel table and dispatch, weight packing, activation quantization
// and the threaded GEMM driver.
#include "kernels/int8_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/isa_predicates.h"
#include "kernels/reference/qs8_ukernels.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

constexpr int kMaxK = 65536;  // keeps every int32 accumulator (and the zero-point term) exact

// Best first within each activation type. `validated` = false: compiled and unit-tested code that
// has not yet run on a CPU with its instructions; tests run it where they can, the dispatcher
// never.
const Qs8GemmUkernel kUkernels[] = {
    {"qs8-qc8w-gemm-4x64c4-avx512vnni", "AVX512F+BW+VL+VNNI", isa::avx512_vnni, false,
     Qs8ActType::kInt8, 4, 64, 4, 1, reference::qs8_pack_64x4_s8, avx512::qs8_gemm_4x64c4},
    {"qs8-qc8w-gemm-4x16c4-avxvnni", "AVX-VNNI+AVX2+FMA", isa::avx_vnni, false, Qs8ActType::kInt8,
     4, 16, 4, 1, reference::qs8_pack_16x4_s8, avxvnni::qs8_gemm_4x16c4},
    {"qs8-qc8w-gemm-4x16c4-avx2", "AVX2+FMA", isa::avx2_fma, true, Qs8ActType::kInt8, 4, 16, 4, 1,
     reference::qs8_pack_16x4_s8, avx2::qs8_gemm_4x16c4},
    {"qs8-qc8w-gemm-1x16c4-scalar", "none", isa::any, true, Qs8ActType::kInt8, 1, 16, 4, 1,
     reference::qs8_pack_16x4_s8, reference::qs8_gemm_1x16c4_scalar},
    {"qs16-qc8w-gemm-4x16c2-avx2", "AVX2+FMA", isa::avx2_fma, true, Qs8ActType::kInt16, 4, 16, 2, 2,
     reference::qs8_pack_16x2_s16, avx2::qs16_gemm_4x16c2},
    {"qs16-qc8w-gemm-1x16c2-scalar", "none", isa::any, true, Qs8ActType::kInt16, 1, 16, 2, 2,
     reference::qs8_pack_16x2_s16, reference::qs16_gemm_1x16c2_scalar},
    // Byte-stored weights for few rows (qs8_gemm_few_rows_best): after the entries above, so the
    // many-row dispatcher keeps the s16 layout.
    {"qs16-qc8w-gemm-4x16c2-w8-avx2", "AVX2+FMA", isa::avx2_fma, true, Qs8ActType::kInt16, 4, 16, 2,
     1, reference::qs8_pack_16x2_s8, avx2::qs16_gemm_4x16c2_w8},
    {"qs16-qc8w-gemm-1x16c2-w8-scalar", "none", isa::any, true, Qs8ActType::kInt16, 1, 16, 2, 1,
     reference::qs8_pack_16x2_s8, reference::qs16_gemm_1x16c2_w8_scalar},
};

using QuantizeRowFn = void (*)(const float*, int, int, const float*, ActQuant, Qs8ActType, int,
                               void*, float*, int32_t*);

QuantizeRowFn quantize_row_fn() {
  static const QuantizeRowFn fn =
      isa::avx2_fma() ? avx2::qs8_quantize_row : reference::qs8_quantize_row_scalar;
  return fn;
}

int round_up(int v, int m) {
  return (v + m - 1) / m * m;
}
size_t align64(size_t v) {
  return (v + 63) / 64 * 64;
}
int elem_bytes(Qs8ActType t) {
  return t == Qs8ActType::kInt8 ? 1 : 2;
}

void check_quantize_args(ActQuant mode, const Qs8Activations& out, const char* who) {
  if (out.k <= 0 || out.data.size() == 0)
    throw Error(std::string(who) + ": the activation buffer was never reserved");
  if (mode == ActQuant::kAsymmetric && out.type != Qs8ActType::kInt8)
    throw Error(std::string(who) +
                ": asymmetric quantization is defined for int8 activations only");
}

}  // namespace

const char* to_string(Qs8ActType t) {
  return t == Qs8ActType::kInt8 ? "int8" : "int16";
}

std::span<const Qs8GemmUkernel> qs8_gemm_ukernels() {
  return kUkernels;
}

const Qs8GemmUkernel& qs8_gemm_best(Qs8ActType act) {
  static const Qs8GemmUkernel* best[2] = {nullptr, nullptr};
  static const bool init = [] {
    for (const auto& uk : kUkernels) {
      const int i = static_cast<int>(uk.act);
      if (!best[i] && uk.validated && uk.supported()) best[i] = &uk;
    }
    return true;
  }();
  (void)init;
  return *best[static_cast<int>(act)];  // the scalar entries are always supported
}

const Qs8GemmUkernel& qs8_gemm_few_rows_best(Qs8ActType act) {
  static const Qs8GemmUkernel* best[2] = {nullptr, nullptr};
  static const bool init = [] {
    for (int i = 0; i < 2; ++i) {
      const Qs8GemmUkernel* pick = nullptr;  // fewest weight bytes, then table order
      for (const auto& uk : kUkernels)
        if (static_cast<int>(uk.act) == i && uk.validated && uk.supported() &&
            (!pick || uk.w_elem_bytes < pick->w_elem_bytes))
          pick = &uk;
      best[i] = pick;
    }
    return true;
  }();
  (void)init;
  return *best[static_cast<int>(act)];
}

// ---- packed weights -------------------------------------------------------------------------

const float* PackedQs8::scales() const {
  return reinterpret_cast<const float*>(storage_.data() + scales_at_);
}
const int32_t* PackedQs8::col_sums() const {
  return reinterpret_cast<const int32_t*>(storage_.data() + colsum_at_);
}
const float* PackedQs8::act_multiplier() const {
  return has_mult_ ? reinterpret_cast<const float*>(storage_.data() + mult_at_) : nullptr;
}

PackedQs8 pack_qs8_quantized(const int8_t* wq, const float* scale, int n, int k,
                             const float* act_multiplier, const Qs8GemmUkernel* ukernel,
                             KernelImage* image) {
  if (!ukernel) throw Error("pack_qs8_quantized: no microkernel given");
  if (!wq || !scale) throw Error("pack_qs8_quantized: null weights or scales");
  if (n <= 0 || k <= 0 || k > kMaxK || n > (1 << 24))
    throw Error("pack_qs8_quantized: bad shape n=" + std::to_string(n) + " k=" + std::to_string(k) +
                " (need n in [1, 2^24], k in [1, " + std::to_string(kMaxK) + "])");
  for (int i = 0; i < n; ++i)
    if (!std::isfinite(scale[i]))
      throw Error("pack_qs8_quantized: scale of row " + std::to_string(i) + " is not finite");
  for (int64_t i = 0; i < int64_t{n} * k; ++i)
    if (wq[i] == -128)
      throw Error("pack_qs8_quantized: weight -128 at row " + std::to_string(i / k) +
                  " (int8 weights must lie in [-127, 127])");
  if (act_multiplier)
    for (int j = 0; j < k; ++j)
      if (!std::isfinite(act_multiplier[j]))
        throw Error("pack_qs8_quantized: activation multiplier " + std::to_string(j) +
                    " is not finite");

  PackedQs8 p;
  p.n = n;
  p.k = k;
  p.k_padded = round_up(k, ukernel->kr);
  p.n_padded = round_up(n, ukernel->nr);
  p.ukernel = ukernel;
  p.panel_stride_ = int64_t{p.k_padded} * ukernel->nr * ukernel->w_elem_bytes;
  const size_t panel_bytes = static_cast<size_t>(p.panel_stride_) * (p.n_padded / ukernel->nr);
  p.scales_at_ = align64(panel_bytes);
  p.colsum_at_ = align64(p.scales_at_ + sizeof(float) * p.n_padded);
  p.mult_at_ = align64(p.colsum_at_ + sizeof(int32_t) * p.n_padded);
  p.has_mult_ = act_multiplier != nullptr;
  const size_t bytes = p.mult_at_ + (p.has_mult_ ? sizeof(float) * k : 0);
  if (image)  // zeroed, like a buffer of its own
    p.storage_ = AlignedBuffer<uint8_t>::borrow(image->allocate_array<uint8_t>(bytes), bytes);
  else
    p.storage_.resize(bytes);

  ukernel->pack(wq, n, k, p.k_padded, p.storage_.data());
  auto* scales = reinterpret_cast<float*>(p.storage_.data() + p.scales_at_);
  auto* sums = reinterpret_cast<int32_t*>(p.storage_.data() + p.colsum_at_);
  for (int i = 0; i < n; ++i) {
    scales[i] = scale[i];
    int32_t s = 0;
    for (int j = 0; j < k; ++j) s += wq[int64_t{i} * k + j];
    sums[i] = s;
  }
  if (p.has_mult_) std::memcpy(p.storage_.data() + p.mult_at_, act_multiplier, sizeof(float) * k);
  return p;
}

PackedQs8 pack_qs8(const float* w, int n, int k, const float* smooth, const Qs8GemmUkernel* ukernel,
                   KernelImage* image) {
  if (!w) throw Error("pack_qs8: null weights");
  if (n <= 0 || k <= 0 || k > kMaxK || n > (1 << 24))
    throw Error("pack_qs8: bad shape n=" + std::to_string(n) + " k=" + std::to_string(k));
  if (!ukernel) ukernel = &qs8_gemm_best(Qs8ActType::kInt8);
  std::vector<float> inv_s;
  if (smooth) {
    inv_s.resize(k);
    for (int j = 0; j < k; ++j) {
      if (!(smooth[j] > 0) || !std::isfinite(smooth[j]))
        throw Error("pack_qs8: smoothing factor " + std::to_string(j) +
                    " must be positive and finite");
      inv_s[j] = 1.0f / smooth[j];
    }
  }
  std::vector<int8_t> wq(static_cast<size_t>(n) * k);
  std::vector<float> scale(n);
  std::vector<float> row(k);
  for (int i = 0; i < n; ++i) {
    const float* wr = w + int64_t{i} * k;
    float amax = 0;
    for (int j = 0; j < k; ++j) {
      row[j] = smooth ? wr[j] * smooth[j] : wr[j];
      if (!std::isfinite(row[j]))
        throw Error("pack_qs8: weight row " + std::to_string(i) + " has a non-finite value");
      amax = std::max(amax, std::fabs(row[j]));
    }
    scale[i] = amax / 127.0f;
    const float inv = amax > 0 ? 127.0f / amax : 0.0f;
    for (int j = 0; j < k; ++j) {
      const float q = std::nearbyint(row[j] * inv);
      wq[int64_t{i} * k + j] = static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
    }
  }
  return pack_qs8_quantized(wq.data(), scale.data(), n, k, smooth ? inv_s.data() : nullptr, ukernel,
                            image);
}

void smoothing_factors_qs8(const float* act_absmax, const float* w, int n, int k, float alpha,
                           float* s) {
  if (!act_absmax || !w || !s || n <= 0 || k <= 0)
    throw Error("smoothing_factors_qs8: null pointer or empty shape");
  if (!(alpha >= 0 && alpha <= 1)) throw Error("smoothing_factors_qs8: alpha must be in [0, 1]");
  std::vector<float> wmax(k, 0.0f);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < k; ++j) wmax[j] = std::max(wmax[j], std::fabs(w[int64_t{i} * k + j]));
  double log_sum = 0;
  int valid = 0;
  for (int j = 0; j < k; ++j) {
    const float a = act_absmax[j];
    if (a > 0 && std::isfinite(a) && wmax[j] > 0 && std::isfinite(wmax[j])) {
      s[j] =
          static_cast<float>(std::pow(double{a}, alpha) / std::pow(double{wmax[j]}, 1.0 - alpha));
      log_sum += std::log(double{s[j]});
      ++valid;
    } else {
      s[j] = 0;  // marked: no data
    }
  }
  const double norm = valid ? std::exp(-log_sum / valid) : 1.0;
  for (int j = 0; j < k; ++j)
    s[j] = s[j] > 0 ? std::clamp(static_cast<float>(s[j] * norm), 1e-4f, 1e4f) : 1.0f;
}

// ---- activations ----------------------------------------------------------------------------

int qs16_qmax(int k_padded) {
  const int64_t q = ((int64_t{1} << 31) - 1) / (int64_t{std::max(k_padded, 1)} * 127);
  return static_cast<int>(std::clamp<int64_t>(q, 1, 32767));
}

void Qs8Activations::reserve(int max_rows, int k_, int kr, Qs8ActType type_) {
  if (max_rows < 0 || k_ <= 0 || k_ > kMaxK || kr <= 0 || kr > 64)
    throw Error("Qs8Activations::reserve: bad shape rows=" + std::to_string(max_rows) +
                " k=" + std::to_string(k_));
  type = type_;
  k = k_;
  k_padded = round_up(k_, kr);
  ld = k_padded;
  qmax = type == Qs8ActType::kInt8 ? 127 : qs16_qmax(k_padded);
  const size_t bytes = static_cast<size_t>(max_rows) * ld * elem_bytes(type);
  if (bytes > (size_t{1} << 36)) throw Error("Qs8Activations::reserve: absurd size requested");
  data.resize(std::max<size_t>(bytes, 64));
  scale.resize(std::max(max_rows, 1));
  zero_point.resize(std::max(max_rows, 1));
  capacity = max_rows;
  rows = 0;
}

void Qs8Activations::reserve(int max_rows, const PackedQs8& w) {
  if (!w.ukernel) throw Error("Qs8Activations::reserve: weights were never packed");
  reserve(max_rows, w.k, w.ukernel->kr, w.ukernel->act);
}

void quantize_row_qs8(const float* x, ActQuant mode, const float* col_multiplier, int row,
                      Qs8Activations& out) {
  check_quantize_args(mode, out, "quantize_row_qs8");
  if (row < 0 || row >= out.capacity) throw Error("quantize_row_qs8: row out of range");
  void* dst = out.data.data() + static_cast<size_t>(row) * out.ld * elem_bytes(out.type);
  quantize_row_fn()(x, out.k, out.k_padded, col_multiplier, mode, out.type, out.qmax, dst,
                    &out.scale[row], &out.zero_point[row]);
}

void quantize_rows_qs8(ThreadPool& pool, int rows, const float* x, int64_t ldx, ActQuant mode,
                       Qs8Activations& out, const float* col_multiplier) {
  check_quantize_args(mode, out, "quantize_rows_qs8");
  if (rows < 0 || rows > out.capacity)
    throw Error("quantize_rows_qs8: " + std::to_string(rows) + " rows but capacity " +
                std::to_string(out.capacity));
  // x is read-only, so rows may overlap (ldx < k): the encoder's convolutions read three
  // consecutive frames as one row.
  if (rows > 0 && (!x || ldx < 1)) throw Error("quantize_rows_qs8: null input or ldx < 1");
  const QuantizeRowFn fn = quantize_row_fn();
  const int esize = elem_bytes(out.type);
  pool.parallel_for(rows, 8, [&](int64_t b, int64_t e, int) {
    for (int64_t r = b; r < e; ++r)
      fn(x + r * ldx, out.k, out.k_padded, col_multiplier, mode, out.type, out.qmax,
         out.data.data() + static_cast<size_t>(r) * out.ld * esize, &out.scale[r],
         &out.zero_point[r]);
  });
  out.rows = rows;
}

// ---- GEMM -----------------------------------------------------------------------------------

void gemm_qs8(ThreadPool& pool, const Qs8Activations& a, const PackedQs8& w, float* c, int64_t ldc,
              const Epilogue& ep, const Qs8Requantize* next) {
  const Qs8GemmUkernel* uk = w.ukernel;
  if (!uk) throw Error("gemm_qs8: weights were never packed");
  if (a.type != uk->act)
    throw Error(std::string("gemm_qs8: ") + to_string(a.type) + " activations but kernel " +
                uk->name + " takes " + to_string(uk->act));
  if (a.k != w.k || a.k_padded != w.k_padded)
    throw Error("gemm_qs8: activations have k=" + std::to_string(a.k) +
                " but the weights k=" + std::to_string(w.k));
  if (!uk->supported()) throw Error(std::string("gemm_qs8: this CPU cannot run ") + uk->name);
  const int m = a.rows, n = w.n;
  if (m <= 0) return;
  if (!c || ldc < n) throw Error("gemm_qs8: null output or ldc < n");
  if (ep.residual && ep.ldr < n) throw Error("gemm_qs8: residual row stride < n");
  if (next) {
    if (!next->out) throw Error("gemm_qs8: requantize target is null");
    check_quantize_args(next->mode, *next->out, "gemm_qs8 (requantize)");
    if (next->out->k != n || next->out->capacity < m)
      throw Error("gemm_qs8: requantize target holds k=" + std::to_string(next->out->k) + " x " +
                  std::to_string(next->out->capacity) + " rows, need " + std::to_string(n) + " x " +
                  std::to_string(m));
  }

  const int esize = elem_bytes(a.type);
  const int threads = pool.size();
  // M blocks: the A block stays in L2 (about 160 KiB) while every panel of W passes over it;
  // at least 4 blocks per thread, and a multiple of the thread count so no thread idles at the end.
  const int64_t row_bytes = a.ld * esize;
  const int mc_max = static_cast<int>(std::clamp<int64_t>(160 * 1024 / row_bytes, 1, 512));
  // Few rows (decoder steps): one M block, so every weight is read from memory once and then
  // serves all rows from L1; the threads split the columns.
  const bool few_rows = !next && m <= 64 && int64_t{m} * row_bytes <= 256 * 1024;
  int m_blocks =
      std::max((m + mc_max - 1) / mc_max, std::min(4 * threads, (m + uk->mr - 1) / uk->mr));
  m_blocks = (m_blocks + threads - 1) / threads * threads;
  if (few_rows) m_blocks = 1;
  const int mc = few_rows ? round_up(m, uk->mr) : round_up((m + m_blocks - 1) / m_blocks, uk->mr);
  m_blocks = (m + mc - 1) / mc;
  const int n_panels = (n + uk->nr - 1) / uk->nr;
  int n_chunks = 1;
  if (few_rows)
    n_chunks = std::min(n_panels, 4 * threads);
  else if (!next && m_blocks < 2 * threads)  // few row blocks: split the columns too
    n_chunks = std::min(n_panels, (2 * threads + m_blocks - 1) / m_blocks);
  const int per_chunk = (n_panels + n_chunks - 1) / n_chunks;
  n_chunks = (n_panels + per_chunk - 1) / per_chunk;

  const auto* a_bytes = a.data.data();
  const auto* panels = static_cast<const uint8_t*>(w.panels());
  const QuantizeRowFn requant = quantize_row_fn();
  pool.run(int64_t{m_blocks} * n_chunks, [&](int64_t task, int) {
    const int mb = static_cast<int>(task / n_chunks), nb = static_cast<int>(task % n_chunks);
    const int r0 = mb * mc, c0 = nb * per_chunk * uk->nr;
    Qs8GemmArgs g;
    g.m = std::min(mc, m - r0);
    g.n = std::min(per_chunk * uk->nr, n - c0);
    g.k_padded = w.k_padded;
    g.a = a_bytes + static_cast<size_t>(r0) * row_bytes;
    g.lda = a.ld;
    g.a_scale = a.scale.data() + r0;
    g.a_zero = a.type == Qs8ActType::kInt8 ? a.zero_point.data() + r0 : nullptr;
    g.w = panels + static_cast<size_t>(nb) * per_chunk * w.panel_stride();
    g.panel_stride = w.panel_stride();
    g.w_scale = w.scales() + c0;
    g.w_colsum = w.col_sums() + c0;
    g.c = c + r0 * ldc + c0;
    g.ldc = ldc;
    g.bias = ep.bias ? ep.bias + c0 : nullptr;
    g.gelu = ep.gelu;
    g.residual = ep.residual ? ep.residual + r0 * ep.ldr + c0 : nullptr;
    g.ldr = ep.ldr;
    uk->run(g);
    if (next) {
      Qs8Activations& q = *next->out;
      const int qe = elem_bytes(q.type);
      for (int r = r0; r < r0 + g.m; ++r)
        requant(c + r * ldc, q.k, q.k_padded, next->col_multiplier, next->mode, q.type, q.qmax,
                q.data.data() + static_cast<size_t>(r) * q.ld * qe, &q.scale[r], &q.zero_point[r]);
    }
  });
  if (next) next->out->rows = m;
}

std::string qs8_kernel_summary() {
  return std::string("int8 gemm: ") + qs8_gemm_best(Qs8ActType::kInt8).name +
         ", int16-activation gemm: " + qs8_gemm_best(Qs8ActType::kInt16).name +
         ", quantize: " + (isa::avx2_fma() ? "avx2" : "scalar");
}

}  // namespace tessera::kernels
