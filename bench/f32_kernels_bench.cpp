// Every f32 microkernel of the tables on Whisper's encoder shapes (base d=512, tiny.en d=384,
// t=1500 frames), 1 and 2 threads, reporting GFLOP/s. Entries this CPU cannot run are left out
// (listed on stderr).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/f32_attention_table.h"
#include "kernels/f32_gemm_table.h"
#include "kernels/f32_layernorm_table.h"
#include "kernels/f32_ops.h"
#include "kernels/f32_vunary_table.h"
#include "kernels/peak_probe.h"
#include "runtime/thread_pool.h"

namespace {

using namespace tessera;
using namespace tessera::kernels;

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

ThreadPool& pool(int threads) {
  static std::unique_ptr<ThreadPool> pools[3];
  if (!pools[threads]) pools[threads] = std::make_unique<ThreadPool>(threads);
  return *pools[threads];
}

void gemm(benchmark::State& state, const F32GemmUkernel* uk, int m, int n, int k, int threads,
          bool gelu) {
  auto a = random_floats(static_cast<size_t>(m) * k, 1);
  auto w = random_floats(static_cast<size_t>(n) * k, 2);
  auto bias = random_floats(n, 3);
  std::vector<float> c(static_cast<size_t>(m) * n);
  PackedF32 packed = pack_f32(*uk, w.data(), n, k);
  Epilogue ep;
  ep.bias = bias.data();
  ep.gelu = gelu;
  for (auto _ : state) {
    gemm_f32(pool(threads), m, a.data(), k, packed, c.data(), n, ep);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] =
      benchmark::Counter(2.0 * m * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP"] = 2.0 * m * n * k * 1e-9;  // per call: GFLOP / min time = best rate
}

void attention(benchmark::State& state, const F32AttentionUkernel* uk, int t, int heads,
               int threads) {
  const int d_head = 64, width = heads * d_head;
  auto q = random_floats(static_cast<size_t>(t) * width, 1);
  auto k = random_floats(static_cast<size_t>(t) * width, 2);
  auto v = random_floats(static_cast<size_t>(t) * width, 3);
  std::vector<float> out(static_cast<size_t>(t) * width);
  for (auto _ : state) {
    attention_f32(*uk, pool(threads), t, heads, d_head, q.data(), width, k.data(), width, v.data(),
                  width, out.data(), width, 0.125f);
    benchmark::ClobberMemory();
  }
  // QK^T and PV: 2 t^2 d_head multiply-adds per head each.
  state.counters["GFLOPS"] = benchmark::Counter(4.0 * t * t * d_head * heads * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP"] = 4.0 * t * t * d_head * heads * 1e-9;
}

void layernorm(benchmark::State& state, const F32LayerNormUkernel* uk, int rows, int d) {
  auto x = random_floats(static_cast<size_t>(rows) * d, 1);
  auto g = random_floats(d, 2), b = random_floats(d, 3);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    for (int r = 0; r < rows; ++r) uk->fn(d, &x[r * d], g.data(), b.data(), 1e-5f, &y[r * d]);
    benchmark::ClobberMemory();
  }
  state.counters["Gelem/s"] =
      benchmark::Counter(1e-9 * rows * d, benchmark::Counter::kIsIterationInvariantRate);
}

void unary(benchmark::State& state, const F32VUnaryUkernel* uk, int n) {
  auto x = random_floats(n, 1);
  for (auto& v : x) v *= 5.0f;
  std::vector<float> y(n);
  for (auto _ : state) {
    uk->fn(x.data(), y.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["Gelem/s"] =
      benchmark::Counter(1e-9 * n, benchmark::Counter::kIsIterationInvariantRate);
}

// The machine is shared: with --benchmark_repetitions=N the minimum is the least disturbed run.
double min_of(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}

// The machine's FMA peak measured in the same run: on shared VMs the fraction of this (not of a
// datasheet number) is what tells how good a kernel is.
void fma_peak(benchmark::State& state, int threads) {
  double gflops = 0;
  for (auto _ : state) gflops = std::max(gflops, measure_peak(threads, 20).fp32_gflops);
  state.counters["GFLOPS"] = gflops;
}

bool usable(bool supported, const char* name, const char* isa) {
  if (!supported) std::fprintf(stderr, "skipping %s: needs %s\n", name, isa);
  return supported;
}

void register_all() {
  struct Shape {
    const char* model;
    int m, n, k;
    bool gelu;
  };
  const Shape shapes[] = {
      {"base.qkv", 1500, 1536, 512, false}, {"base.out", 1500, 512, 512, false},
      {"base.fc1", 1500, 2048, 512, true},  {"base.fc2", 1500, 512, 2048, false},
      {"tiny.qkv", 1500, 1152, 384, false}, {"tiny.out", 1500, 384, 384, false},
      {"tiny.fc1", 1500, 1536, 384, true},  {"tiny.fc2", 1500, 384, 1536, false},
      {"m16.fc1", 16, 2048, 512, true},     {"m1.out", 1, 512, 512, false},
  };
  for (int threads : {1, 2})
    benchmark::RegisterBenchmark(("fp32-fma-peak/threads:" + std::to_string(threads)).c_str(),
                                 fma_peak, threads)
        ->ComputeStatistics(
            "max",
            [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); })
        ->Unit(benchmark::kMillisecond);
  for (const auto& uk : f32_gemm_ukernels()) {
    if (!usable(uk.supported(), uk.name, uk.isa)) continue;
    for (const auto& s : shapes)
      for (int threads : {1, 2}) {
        std::string name = std::string(uk.name) + "/" + s.model + "/M" + std::to_string(s.m) +
                           "xN" + std::to_string(s.n) + "xK" + std::to_string(s.k) +
                           "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), gemm, &uk, s.m, s.n, s.k, threads, s.gelu)
            ->UseRealTime()
            ->ComputeStatistics("min", min_of)
            ->Unit(benchmark::kMillisecond);
      }
  }
  for (const auto& uk : f32_attention_ukernels()) {
    if (!usable(uk.supported(), uk.name, uk.isa)) continue;
    for (int heads : {8, 6})
      for (int threads : {1, 2}) {
        std::string name = std::string(uk.name) + "/t1500xheads" + std::to_string(heads) +
                           "xd64/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), attention, &uk, 1500, heads, threads)
            ->UseRealTime()
            ->ComputeStatistics("min", min_of)
            ->Unit(benchmark::kMillisecond);
      }
  }
  for (const auto& uk : f32_layernorm_ukernels()) {
    if (!usable(uk.supported(), uk.name, uk.isa)) continue;
    benchmark::RegisterBenchmark((std::string(uk.name) + "/1500x512").c_str(), layernorm, &uk, 1500,
                                 512)
        ->Unit(benchmark::kMicrosecond);
  }
  for (auto family : {f32_vgelu_ukernels(), f32_verf_ukernels(), f32_vexp_ukernels()})
    for (const auto& uk : family) {
      if (!usable(uk.supported(), uk.name, uk.isa)) continue;
      benchmark::RegisterBenchmark((std::string(uk.name) + "/65536").c_str(), unary, &uk, 65536)
          ->Unit(benchmark::kMicrosecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::fprintf(stderr, "f32 kernels chosen: %s\n", f32_kernel_summary().c_str());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
