// The f32 GEMM microkernel family. Each entry is named by what it is (XNNPACK style:
// f32-gemm-MRxNR-isa) and carries everything the driver needs: the ISA it requires, its register
// tile, its weight packing and its tile function. The dispatcher takes the first supported entry;
// tests and benchmarks iterate all of them.
#pragma once

#include <cstdint>
#include <span>

namespace tessera::kernels {

// Epilogue of one tile, applied in this order: (+ C if accumulate), + bias[j], GELU, + residual[i,
// j]. `bias` and `residual` point at the tile's first column / element.
struct F32TileEpilogue {
  bool accumulate = false;
  const float* bias = nullptr;
  bool gelu = false;
  const float* residual = nullptr;
  int64_t ldr = 0;
};

// Packs W [n x k] (row-major, row stride ldw) into ceil(n / nr) panels of [k x nr] (K-major,
// zero-padded past n). out holds ceil(n / nr) * nr * k floats.
using F32GemmPackFn = void (*)(const float* w, int64_t ldw, int n, int k, int nr, float* out);

// Packs rows [0, rows) x columns [0, kc) of A (row stride lda) into micro-panels of the entry's MR
// rows, K-major (element (i, p) of a micro-panel at [p * MR + i]); rows of the last micro-panel
// past `rows` are zero. May write up to kPackAOverrun floats past the packed data.
using F32GemmPackAFn = void (*)(int rows, int kc, const float* a, int64_t lda, float* out);
inline constexpr int kPackAOverrun = 8;

// One tile: C[mr x nr] = epilogue(sum_p a[p * MR + i] * b[p * NR + j]) for p < kc, where MR and NR
// are the entry's tile (a is a packed A micro-panel, b a packed W panel) and mr <= MR, nr <= NR.
using F32GemmTileFn = void (*)(int mr, int nr, int kc, const float* a, const float* b, float* c,
                               int64_t ldc, const F32TileEpilogue& ep);

struct F32GemmUkernel {
  const char* name;     // e.g. "f32-gemm-6x16-avx2-fma"
  const char* isa;      // what it needs, for skip messages: "AVX2+FMA", "none"
  bool (*supported)();  // can this CPU run it
  int mr, nr;           // register tile
  int kc, mc;           // cache blocking: K block (W micro-panel kc x nr stays in L1), M block
                        // (packed A block mc x kc stays in L2)
  F32GemmPackFn pack;
  F32GemmPackAFn pack_a;
  F32GemmTileFn tile;
};

// All entries, best first.
std::span<const F32GemmUkernel> f32_gemm_ukernels();

// The first entry this CPU supports (chosen once).
const F32GemmUkernel& f32_gemm_best();

}  // namespace tessera::kernels
