// tessera's GEMMs against oneDNN's matmul on Whisper's encoder shapes, side by side in one run.
//
// Each shape runs both engines alternately (ABAB...), same threads, same epilogue (bias, GELU,
// residual add), and reports medians. Weight packing/reordering happens once, outside the timing,
// for both. Counted on tessera's side but not on oneDNN's: the int8 path's dynamic per-row
// quantization of the fp32 activations (oneDNN gets ready int8 activations), so the comparison
// favours oneDNN.
//
//   gemm_vs_onednn [--threads N] [--reps R] [--model base|tiny|small]
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <string>
#include <vector>

#include "kernels/f32_ops.h"
#include "kernels/int8_ops.h"
#include "runtime/thread_pool.h"
#include "tessera/cpu_features.h"

namespace tk = tessera::kernels;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

struct Shape {
  const char* name;
  int m, n, k;
  bool gelu, residual;
};

std::vector<float> random_vector(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// oneDNN matmul C = post_ops(scale * (A W^T) + bias): A m x k, W given n x k (PyTorch layout).
struct OneDnnGemm {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  dnnl::matmul prim;
  dnnl::memory a_mem, w_mem, b_mem, c_mem;

  OneDnnGemm(const Shape& s, bool int8, const std::vector<float>& w_nk,
             const std::vector<float>& bias, const std::vector<float>& a_f32) {
    const dnnl::memory::dims a_d{s.m, s.k}, w_d{s.k, s.n}, b_d{1, s.n}, c_d{s.m, s.n};
    const dt a_t = int8 ? dt::u8 : dt::f32, w_t = int8 ? dt::s8 : dt::f32;
    dnnl::memory::desc a_md(a_d, a_t, tag::ab), w_any(w_d, w_t, tag::any),
        b_md(b_d, dt::f32, tag::ab), c_md(c_d, dt::f32, tag::ab);
    dnnl::primitive_attr attr;
    dnnl::post_ops po;
    if (s.gelu) po.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
    if (s.residual) po.append_sum(1.0f);
    attr.set_post_ops(po);
    std::vector<float> wscale(s.n, 1.0f);
    std::vector<int8_t> wq;
    if (int8) {  // per-output-channel weight scales, folded into oneDNN's output scales
      wq.resize(static_cast<size_t>(s.n) * s.k);
      for (int j = 0; j < s.n; ++j) {
        float amax = 0;
        for (int i = 0; i < s.k; ++i) amax = std::max(amax, std::fabs(w_nk[size_t(j) * s.k + i]));
        wscale[j] = amax > 0 ? amax / 127.0f : 1.0f;
        for (int i = 0; i < s.k; ++i)
          wq[size_t(j) * s.k + i] =
              static_cast<int8_t>(std::nearbyint(w_nk[size_t(j) * s.k + i] / wscale[j]));
      }
      std::vector<float> out_scales(s.n);
      for (int j = 0; j < s.n; ++j) out_scales[j] = wscale[j] / 64.0f;  // a ~ u8 / 64
      attr.set_output_scales(1 << 1, out_scales);
    }
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, w_any, b_md, c_md), attr, eng);
    prim = dnnl::matmul(pd);
    a_mem = dnnl::memory(a_md, eng);
    b_mem = dnnl::memory(b_md, eng);
    c_mem = dnnl::memory(c_md, eng);
    std::memcpy(b_mem.get_data_handle(), bias.data(), bias.size() * 4);
    // The weights as k x n ("ba" of the n x k array), reordered into oneDNN's packed layout once.
    dnnl::memory w_user({w_d, w_t, tag::ba}, eng);
    if (int8)
      std::memcpy(w_user.get_data_handle(), wq.data(), wq.size());
    else
      std::memcpy(w_user.get_data_handle(), w_nk.data(), w_nk.size() * 4);
    w_mem = dnnl::memory(pd.weights_desc(), eng);
    dnnl::reorder(w_user, w_mem).execute(strm, w_user, w_mem);
    if (int8) {
      auto* p = static_cast<uint8_t*>(a_mem.get_data_handle());
      for (size_t i = 0; i < a_f32.size(); ++i)
        p[i] = static_cast<uint8_t>(std::clamp(a_f32[i] * 64.0f + 128.0f, 0.0f, 255.0f));
    } else {
      std::memcpy(a_mem.get_data_handle(), a_f32.data(), a_f32.size() * 4);
    }
    std::memset(c_mem.get_data_handle(), 0, size_t(s.m) * s.n * 4);
    strm.wait();
  }
  void run() {
    prim.execute(strm, {{DNNL_ARG_SRC, a_mem},
                        {DNNL_ARG_WEIGHTS, w_mem},
                        {DNNL_ARG_BIAS, b_mem},
                        {DNNL_ARG_DST, c_mem}});
    strm.wait();
  }
};

// tessera: fp32 GEMM, or the int8 compute type's W8A16 path (quantize rows, then the GEMM).
struct TesseraGemm {
  Shape s;
  bool int8;
  tessera::ThreadPool& pool;
  std::vector<float> a, bias, c;
  tk::PackedF32 wf;
  tk::PackedQs8 wq;
  tk::Qs8Activations act;
  TesseraGemm(const Shape& sh, bool q, tessera::ThreadPool& p, const std::vector<float>& w_nk,
              std::vector<float> b, std::vector<float> a_f32)
      : s(sh), int8(q), pool(p), a(std::move(a_f32)), bias(std::move(b)), c(size_t(sh.m) * sh.n) {
    if (int8) {
      wq = tk::pack_qs8(w_nk.data(), s.n, s.k, nullptr, &tk::qs8_gemm_best(tk::Qs8ActType::kInt16));
      act.reserve(s.m, wq);
    } else {
      wf = tk::pack_f32(w_nk.data(), s.n, s.k);
    }
  }
  void run() {
    const tk::Epilogue ep{.bias = bias.data(),
                          .gelu = s.gelu,
                          .residual = s.residual ? c.data() : nullptr,
                          .ldr = s.n};
    if (int8) {
      tk::quantize_rows_qs8(pool, s.m, a.data(), s.k, tk::ActQuant::kSymmetric, act);
      tk::gemm_qs8(pool, act, wq, c.data(), s.n, ep);
    } else {
      tk::gemm_f32(pool, s.m, a.data(), s.k, wf, c.data(), s.n, ep);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  // OpenMP's idle workers spin after each oneDNN call and would steal the cores from tessera's
  // next timed run; passive waiting makes the alternation fair. libgomp reads this at start-up,
  // hence the re-exec.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);
  }
  int threads = 2, reps = 9;
  std::string model = "base";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string f = argv[i];
    if (f == "--threads")
      threads = std::stoi(argv[i + 1]);
    else if (f == "--reps")
      reps = std::stoi(argv[i + 1]);
    else if (f == "--model")
      model = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--reps R] [--model tiny|base|small]\n",
                   argv[0]);
      return 2;
    }
  }
  const int d = model == "tiny" ? 384 : model == "small" ? 768 : 512, t = 1500;
  const std::vector<Shape> shapes = {
      {"conv1 (k=3*80)", 2 * t, d, 240, true, false},
      {"conv2 (k=3*d)", t, d, 3 * d, true, false},
      {"qkv", t, 3 * d, d, false, false},
      {"out_proj +res", t, d, d, false, true},
      {"fc1 +gelu", t, 4 * d, d, true, false},
      {"fc2 +res", t, d, 4 * d, false, true},
  };
  omp_set_num_threads(threads);
  tessera::ThreadPool pool(threads);
  std::printf(
      "CPU: %s (%s); threads %d; Whisper %s encoder shapes (M=frames); median of %d, ABAB\n",
      tessera::cpu_features().brand.c_str(), tessera::cpu_features().summary().c_str(), threads,
      model.c_str(), reps);
  std::printf("oneDNN %d.%d.%d (ISA: %s)\n", dnnl_version()->major, dnnl_version()->minor,
              dnnl_version()->patch,
              dnnl_version()->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other");
  std::printf("%-6s %-16s %5s %5s %5s | %9s %9s | %9s %9s | %s\n", "type", "shape", "M", "N", "K",
              "tessera", "GOP/s", "oneDNN", "GOP/s", "oneDNN/tessera time");
  double sum_t[2] = {0, 0}, sum_o[2] = {0, 0};
  for (int q = 0; q < 2; ++q) {
    for (const Shape& s : shapes) {
      const auto w = random_vector(size_t(s.n) * s.k, -0.08f, 0.08f, 1 + s.n);
      const auto b = random_vector(s.n, -0.1f, 0.1f, 2 + s.k);
      const auto a = random_vector(size_t(s.m) * s.k, -1.5f, 1.5f, 3 + s.m);
      TesseraGemm ours(s, q == 1, pool, w, b, a);
      OneDnnGemm theirs(s, q == 1, w, b, a);
      ours.run();
      theirs.run();  // warm-up
      std::vector<double> to, tt;
      for (int r = 0; r < reps; ++r) {
        double t0 = now_ms();
        ours.run();
        to.push_back(now_ms() - t0);
        t0 = now_ms();
        theirs.run();
        tt.push_back(now_ms() - t0);
      }
      const double mo = median(to), mt = median(tt), gop = 2.0 * s.m * s.n * s.k / 1e9;
      sum_t[q] += mo;
      sum_o[q] += mt;
      std::printf("%-6s %-16s %5d %5d %5d | %7.2fms %9.1f | %7.2fms %9.1f | %.2f\n",
                  q ? "int8" : "fp32", s.name, s.m, s.n, s.k, mo, gop / mo * 1e3, mt,
                  gop / mt * 1e3, mt / mo);
    }
    std::printf("%-6s %-16s %17s | %7.2fms %9s | %7.2fms %9s | %.2f\n", q ? "int8" : "fp32",
                "all six", "", sum_t[q], "", sum_o[q], "", sum_o[q] / sum_t[q]);
  }
  std::printf(
      "int8: tessera = W8A16 (s16 activations quantized per row inside the timing, int8 "
      "per-channel weights); oneDNN = u8 x s8 with ready u8 activations.\n");
  return 0;
}
