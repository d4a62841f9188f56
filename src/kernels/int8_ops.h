// Quantized GEMM for the int8 compute type: C = epilogue(dequant(Aq Wq^T)) with per-output-channel
// symmetric int8 weights (packed once, at load time) and dynamic per-row activation quantization.
// Every microkernel is exact in its integer part for every input it accepts (see
// docs/KERNELS_INT8.md for why vpmaddubsw needs care and how each kernel avoids saturation).
//
// Two activation types, one weight type (int8 values, per-row scale):
//  - kInt8: s8 activations, per row symmetric ([-127, 127]) or asymmetric (u8 with a zero point,
//    stored as u8 - 128). W8A8.
//  - kInt16: s16 activations, per row symmetric with |q| <= qmax(k), the most that keeps
//    k * qmax * 127 inside int32 (16 bits for k <= 516, 14 bits for k = 2048). W8A16: about as
//    accurate as weight-only quantization, at ~90 % of the int8 speed on AVX2.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kernels/f32_ops.h"
#include "runtime/aligned_buffer.h"
#include "runtime/thread_pool.h"

namespace tessera::kernels {

enum class Qs8ActType : uint8_t { kInt8, kInt16 };
enum class ActQuant : uint8_t { kSymmetric, kAsymmetric };  // asymmetric: kInt8 only

const char* to_string(Qs8ActType t);

// ---- microkernel family ---------------------------------------------------------------------

// One call: rows [0, m) of A against columns [0, n) of W, starting at panel `w`. The kernel walks
// the panels (nr columns each) in the outer loop and mr-row tiles in the inner one, so a panel
// stays in L1 while the A block (kept small by the driver) streams from L2.
struct Qs8GemmArgs {
  int m = 0, n = 0;
  int k_padded = 0;                   // multiple of the kernel's kr; A and W are zero-padded
  const void* a = nullptr;            // int8_t or int16_t rows
  int64_t lda = 0;                    // in elements
  const float* a_scale = nullptr;     // per row
  const int32_t* a_zero = nullptr;    // per row, in the stored domain; nullptr: all zero
  const void* w = nullptr;            // packed panels
  int64_t panel_stride = 0;           // bytes from one panel to the next
  const float* w_scale = nullptr;     // per column (column 0 = first column of this call)
  const int32_t* w_colsum = nullptr;  // per column: sum over k of the int weights
  float* c = nullptr;
  int64_t ldc = 0;
  const float* bias = nullptr;  // per column, or nullptr
  bool gelu = false;
  const float* residual = nullptr;  // may alias c
  int64_t ldr = 0;
  // Test and debug hook: when set, the exact integer result sum_k (a - a_zero) * w is stored here
  // (int32, row stride ldraw) and c and the epilogue are left alone.
  int32_t* raw = nullptr;
  int64_t ldraw = 0;
};

using Qs8GemmFn = void (*)(const Qs8GemmArgs& args);

// Packs int weights wq [n x k] (row-major, values in [-127, 127]) into the kernel's layout:
// ceil(n / nr) panels, each k_padded / kr groups of nr columns x kr consecutive k, zero-padded.
using Qs8PackFn = void (*)(const int8_t* wq, int n, int k, int k_padded, void* out);

struct Qs8GemmUkernel {
  const char* name;     // XNNPACK style, e.g. "qs8-qc8w-gemm-4x16c4-avx2"
  const char* isa;      // what it needs, for skip messages
  bool (*supported)();  // can this CPU run it
  bool validated;       // has run on a CPU with its instructions (the dispatcher takes only these)
  Qs8ActType act;
  int mr, nr, kr;    // register tile; kr = k values per column group
  int w_elem_bytes;  // bytes per packed weight (1 or 2)
  Qs8PackFn pack;
  Qs8GemmFn run;
};

// Every entry, validated or not, best first within each activation type.
std::span<const Qs8GemmUkernel> qs8_gemm_ukernels();

// The first validated entry this CPU supports for activations of type `act` (chosen once).
const Qs8GemmUkernel& qs8_gemm_best(Qs8ActType act);
// The same for GEMMs of few rows (decoder steps), which stream every weight once from memory: of
// the validated supported entries, the one with the fewest bytes per weight, then the first.
const Qs8GemmUkernel& qs8_gemm_few_rows_best(Qs8ActType act);

// ---- packed weights -------------------------------------------------------------------------

// W [n x k] quantized per output channel and packed in one aligned allocation: panels, then
// per-column scales and column sums, then (with smoothing) the per-input-channel multipliers
// 1/s[k] the activations need.
class PackedQs8 {
 public:
  int n = 0, k = 0, k_padded = 0, n_padded = 0;
  const Qs8GemmUkernel* ukernel = nullptr;

  const void* panels() const { return storage_.data(); }
  int64_t panel_stride() const { return panel_stride_; }  // bytes
  const float* scales() const;                            // n_padded
  const int32_t* col_sums() const;                        // n_padded
  // 1 / s[j] for the activation columns, or nullptr without smoothing. Fold it into whatever
  // produces the activations (LayerNorm gamma and beta), or pass it to quantize_rows_qs8.
  const float* act_multiplier() const;
  size_t bytes() const { return storage_.size(); }

 private:
  friend PackedQs8 pack_qs8_quantized(const int8_t*, const float*, int, int, const float*,
                                      const Qs8GemmUkernel*, KernelImage*);
  AlignedBuffer<uint8_t> storage_;
  int64_t panel_stride_ = 0;
  size_t scales_at_ = 0, colsum_at_ = 0, mult_at_ = 0;
  bool has_mult_ = false;
};

// Quantizes fp32 W [n x k] (PyTorch Linear layout, y = x W^T) per output row to [-127, 127] and
// packs it for `ukernel` (default: qs8_gemm_best(kInt8)). smooth[k] (optional, > 0): SmoothQuant
// factors; W is packed as W * s per column and the activations must be divided by s.
// image: where the packed panels and scales live, or nullptr for a buffer of their own.
PackedQs8 pack_qs8(const float* w, int n, int k, const float* smooth = nullptr,
                   const Qs8GemmUkernel* ukernel = nullptr, KernelImage* image = nullptr);

// Packs weights that are already quantized: real W[i][j] = wq[i][j] * scale[i]; wq in [-127, 127]
// (-128 is refused: the int8 kernels rely on |w| <= 127). act_multiplier[k] is stored as is.
PackedQs8 pack_qs8_quantized(const int8_t* wq, const float* scale, int n, int k,
                             const float* act_multiplier, const Qs8GemmUkernel* ukernel,
                             KernelImage* image = nullptr);

// SmoothQuant factors s[j] = max|X_j|^alpha / max_i|W_ij|^(1 - alpha) from activation channel
// maxima (calibration, or an estimate such as |gamma| * c + |beta| of the LayerNorm in front),
// normalized to geometric mean 1 and clamped to [1e-4, 1e4]; channels with no data get 1.
void smoothing_factors_qs8(const float* act_absmax, const float* w, int n, int k, float alpha,
                           float* s);

// ---- activations ----------------------------------------------------------------------------

// Quantized activation rows in the layout the packed weights' kernel reads. Sized once by
// reserve(); quantize and gemm calls never allocate.
struct Qs8Activations {
  Qs8ActType type = Qs8ActType::kInt8;
  int rows = 0;      // rows currently held
  int capacity = 0;  // rows reserved
  int k = 0, k_padded = 0;
  int64_t ld = 0;  // elements per row
  int qmax = 0;    // largest |q| symmetric rows use
  AlignedBuffer<uint8_t> data;
  AlignedBuffer<float> scale;         // per row: real = scale * (q - zero_point)
  AlignedBuffer<int32_t> zero_point;  // per row, stored domain (0 for symmetric rows)

  // Sizes the buffers for up to max_rows rows of the activations `w` multiplies.
  void reserve(int max_rows, const PackedQs8& w);
  void reserve(int max_rows, int k, int kr, Qs8ActType type);
  template <typename T>
  T* row(int r) {
    return reinterpret_cast<T*>(data.data()) + r * ld;
  }
  template <typename T>
  const T* row(int r) const {
    return reinterpret_cast<const T*>(data.data()) + r * ld;
  }
};

// The largest |q| for s16 activations against int8 weights over k_padded terms.
int qs16_qmax(int k_padded);

// Quantizes rows x[r * ldx + j] * col_multiplier[j] (multiplier optional) into out (rows <=
// out.capacity, k = out.k), per row, in parallel. Rows may overlap (ldx < k: a convolution's
// sliding window read as rows). kAsymmetric is only defined for kInt8 (Error otherwise).
void quantize_rows_qs8(ThreadPool& pool, int rows, const float* x, int64_t ldx, ActQuant mode,
                       Qs8Activations& out, const float* col_multiplier = nullptr);

// One row, on the calling thread: for fusing with whatever produced it (LayerNorm).
void quantize_row_qs8(const float* x, ActQuant mode, const float* col_multiplier, int row,
                      Qs8Activations& out);

// ---- GEMM -----------------------------------------------------------------------------------

// Quantize the GEMM's output rows (after the epilogue) for the next GEMM, while they are hot.
struct Qs8Requantize {
  Qs8Activations* out = nullptr;
  ActQuant mode = ActQuant::kSymmetric;
  const float* col_multiplier = nullptr;
};

// C[m x n] = epilogue(dequant(A W^T)) for m = a.rows, n = w.n, parallel over the pool. With `next`,
// the finished rows of C are also quantized into next->out (which must hold a.rows rows of w.n).
void gemm_qs8(ThreadPool& pool, const Qs8Activations& a, const PackedQs8& w, float* c, int64_t ldc,
              const Epilogue& ep = {}, const Qs8Requantize* next = nullptr);

// Names of the int8 kernels chosen on this CPU, for `tessera info`.
std::string qs8_kernel_summary();

}  // namespace tessera::kernels
