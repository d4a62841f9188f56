// The f32 GEMM driver: weight packing and the cache-blocked, threaded loop nest around the
// microkernel chosen from the table (BLIS order: K blocks, packed A block in L2, W micro-panel
// in L1 reused across the A block's tiles).
#include <algorithm>
#include <string>

#include "kernels/f32_gemm_table.h"
#include "kernels/f32_ops.h"
#include "kernels/scratch.h"
#include "tessera/error.h"

namespace tessera::kernels {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Whether an m x nx and an m x ny row-strided matrix share any memory (conservative: compares
// address ranges).
bool ranges_overlap(const float* x, int64_t ldx, int nx, const float* y, int64_t ldy, int ny,
                    int m) {
  const float* x_end = x + (m - 1) * ldx + nx;
  const float* y_end = y + (m - 1) * ldy + ny;
  return x < y_end && y < x_end;
}

}  // namespace

PackedF32 pack_f32(const F32GemmUkernel& uk, const float* w, int n, int k, KernelImage* image) {
  if (n <= 0 || k <= 0)
    throw Error("kernels/pack_f32: weight shape must be positive, got n=" + std::to_string(n) +
                " k=" + std::to_string(k));
  if (!w) throw Error("kernels/pack_f32: weight pointer is null");
  if (!uk.supported())
    throw Error(std::string("kernels/pack_f32: microkernel ") + uk.name + " needs " + uk.isa +
                ", which this CPU lacks");
  PackedF32 packed;
  packed.n = n;
  packed.k = k;
  packed.nr = uk.nr;
  const size_t floats = static_cast<size_t>(ceil_div(n, uk.nr)) * uk.nr * k;
  if (image)
    packed.data = AlignedBuffer<float>::borrow(image->allocate_array<float>(floats), floats);
  else
    packed.data.resize(floats);
  uk.pack(w, k, n, k, uk.nr, packed.data.data());
  packed.ukernel = &uk;
  return packed;
}

PackedF32 pack_f32(const float* w, int n, int k, KernelImage* image) {
  return pack_f32(f32_gemm_best(), w, n, k, image);
}

void gemm_f32(ThreadPool& pool, int m, const float* a, int64_t lda, const PackedF32& w, float* c,
              int64_t ldc, const Epilogue& ep) {
  if (!w.ukernel || !w.data.data()) throw Error("kernels/gemm_f32: weights are not packed");
  const auto& uk = *static_cast<const F32GemmUkernel*>(w.ukernel);
  const int n = w.n, k = w.k, MR = uk.mr, NR = uk.nr;
  if (m < 0) throw Error("kernels/gemm_f32: negative row count m=" + std::to_string(m));
  if (m == 0) return;
  if (!a || !c) throw Error("kernels/gemm_f32: null A or C");
  // A is read-only, so its rows may overlap (lda < k): the encoder's k=3 convolutions read three
  // consecutive input rows as one GEMM row.
  if (lda < 1 || ldc < n)
    throw Error("kernels/gemm_f32: row stride too small (lda=" + std::to_string(lda) +
                " k=" + std::to_string(k) + ", ldc=" + std::to_string(ldc) +
                " n=" + std::to_string(n) + ")");
  if (ep.residual && ep.ldr < n)
    throw Error("kernels/gemm_f32: residual row stride ldr=" + std::to_string(ep.ldr) +
                " < n=" + std::to_string(n));
  const bool residual_is_c = ep.residual == c && ep.ldr == ldc;
  if (ep.residual && !residual_is_c && ranges_overlap(ep.residual, ep.ldr, n, c, ldc, n, m))
    throw Error("kernels/gemm_f32: residual partially overlaps C (it may only alias C exactly)");
  if (ranges_overlap(a, lda, k, c, ldc, n, m)) throw Error("kernels/gemm_f32: A and C overlap");

  // K blocks of about uk.kc. GELU + residual aliasing C cannot split K: partial sums stored in C
  // would overwrite the residual before the last block adds it.
  const bool single_k_block = ep.gelu && residual_is_c;
  const int k_blocks = single_k_block ? 1 : static_cast<int>(ceil_div(k, uk.kc));
  const int kc = static_cast<int>(ceil_div(k, k_blocks));
  int mc_cap = uk.mc;
  if (static_cast<size_t>(MR) * kc + kPackAOverrun > kThreadScratchFloats)
    throw Error("kernels/gemm_f32: k=" + std::to_string(k) +
                " too large for GELU with a residual that aliases C");
  mc_cap = static_cast<int>(
      std::min<size_t>(mc_cap, (kThreadScratchFloats - kPackAOverrun) / kc / MR * MR));

  // M blocks: a multiple of the thread count when there are several, so threads finish together;
  // when M gives fewer blocks than 2 per thread, also split along N.
  const int threads = pool.size();
  const int64_t m_tiles = ceil_div(m, MR);
  int64_t m_blocks = ceil_div(m_tiles * MR, mc_cap);
  if (m_blocks > 1) m_blocks = ceil_div(m_blocks, threads) * threads;
  const int64_t tiles_per_block = ceil_div(m_tiles, m_blocks);
  const int mc = static_cast<int>(tiles_per_block * MR);
  m_blocks = ceil_div(m_tiles, tiles_per_block);
  const int64_t panels = ceil_div(n, NR);
  int64_t n_blocks = 1;
  if (threads > 1 && m_blocks < 2 * threads)
    n_blocks = std::min<int64_t>(panels, ceil_div(4 * threads, m_blocks));
  const int64_t panels_per_block = ceil_div(panels, n_blocks);
  n_blocks = ceil_div(panels, panels_per_block);

  pool.run(m_blocks * n_blocks, [&](int64_t task, int /*thread*/) {
    const int r0 = static_cast<int>(task / n_blocks * mc);
    const int r1 = std::min(m, r0 + mc);
    const int64_t p0 = task % n_blocks * panels_per_block;
    const int64_t p1 = std::min(panels, p0 + panels_per_block);
    float* a_packed = thread_scratch(static_cast<size_t>(mc) * kc + kPackAOverrun);
    for (int pc = 0; pc < k; pc += kc) {
      const int kcur = std::min(kc, k - pc);
      const bool first = pc == 0, last = pc + kcur == k;
      uk.pack_a(r1 - r0, kcur, a + r0 * lda + pc, lda, a_packed);
      for (int64_t p = p0; p < p1; ++p) {
        const float* b = w.data.data() + p * NR * k + static_cast<int64_t>(pc) * NR;
        const int col = static_cast<int>(p * NR);
        const int nr = std::min(NR, n - col);
        for (int row = r0; row < r1; row += MR) {
          F32TileEpilogue e;
          e.accumulate = !first;
          if (first && ep.bias) e.bias = ep.bias + col;
          e.gelu = last && ep.gelu;
          // Without GELU the residual is added with the first K block, before any partial sum
          // is stored, so it may alias C.
          if (ep.residual && (ep.gelu ? last : first)) {
            e.residual = ep.residual + row * ep.ldr + col;
            e.ldr = ep.ldr;
          }
          uk.tile(std::min(MR, r1 - row), nr, kcur,
                  a_packed + static_cast<int64_t>(row - r0) * kcur, b, c + row * ldc + col, ldc, e);
        }
      }
    }
  });
}

}  // namespace tessera::kernels
