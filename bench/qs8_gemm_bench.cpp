// Int8 GEMM family on Whisper base encoder shapes (every table entry this CPU supports, 1 and 2
// threads), on decoder-step shapes (M = 1, 5, 25; W8A16 entries), plus the activation quantize
// step. Counters: GOP/s (2 M N K per second of
// wall clock; GOP/s_oncpu: the same over the process's CPU time, which other processes sharing the
// cores do not inflate) and this machine's int8 dot-product peak, measured at start-up with a
// register-only vpmaddubsw + vpmaddwd + vpaddd loop (kernels/peak_probe.h).
//
//   qs8_gemm_bench [--benchmark_filter=...] [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/int8_ops.h"
#include "kernels/peak_probe.h"
#include "tessera/cpu_features.h"

namespace tk = tessera::kernels;

namespace {

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Combined int8 (vpmaddubsw) peak of `threads` threads in GOP/s, over their own CPU time: the
// built-in probe (kernels/peak_probe.h) that bench-encoder uses too.
double measure_int8_peak(int threads) {
  return tk::measure_peak(threads, 200).int8_gops;
}

double g_peak[3] = {0, 0, 0};  // by thread count

tessera::ThreadPool& pool_for(int threads) {
  static std::unique_ptr<tessera::ThreadPool> pools[3];
  if (!pools[threads]) pools[threads] = std::make_unique<tessera::ThreadPool>(threads);
  return *pools[threads];
}

std::vector<float> random_floats(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct Shape {
  int n, k;
  const char* what;
};
const Shape kShapes[] = {
    {1536, 512, "qkv"}, {512, 512, "out"}, {2048, 512, "fc1"}, {512, 2048, "fc2"}};

void bm_gemm(benchmark::State& state, const tk::Qs8GemmUkernel* uk, int m, Shape shape,
             int threads) {
  if (!uk->supported()) {
    state.SkipWithError((std::string(uk->name) + " needs " + uk->isa).c_str());
    return;
  }
  const int n = shape.n, k = shape.k;
  auto w = random_floats(size_t(n) * k, 1, 0.05f), x = random_floats(size_t(m) * k, 2, 1.0f);
  auto bias = random_floats(n, 3, 0.1f);
  tk::PackedQs8 packed = tk::pack_qs8(w.data(), n, k, nullptr, uk);
  tk::Qs8Activations a;
  a.reserve(m, packed);
  tessera::ThreadPool& pool = pool_for(threads);
  tk::quantize_rows_qs8(pool, m, x.data(), k, tk::ActQuant::kSymmetric, a);
  std::vector<float> c(size_t(m) * n);
  tk::Epilogue ep;
  ep.bias = bias.data();
  ep.gelu = shape.what[1] == 'c' && shape.what[2] == '1';  // fc1 carries GELU in the encoder
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    tk::gemm_qs8(pool, a, packed, c.data(), n, ep);
    benchmark::ClobberMemory();
  }
  const double cpu = process_cpu_seconds() - cpu0;
  const double ops = 2.0 * m * n * k;
  state.counters["GOP/s"] = benchmark::Counter(ops, benchmark::Counter::kIsIterationInvariantRate);
  // What the threads reach while they actually run: immune to other processes sharing the cores
  // (the pool's idle workers sleep, so process CPU time is compute time).
  state.counters["GOP/s_oncpu"] = ops * state.iterations() * threads / std::max(cpu, 1e-9) / 1e9;
  state.counters["peak_GOP/s"] = g_peak[threads];
  // Few rows stream the packed weights from memory: that rate is what a decoder step gets.
  state.counters["weight_GB/s"] = benchmark::Counter(static_cast<double>(packed.bytes()) / 1e9,
                                                     benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(uk->name);
}

void bm_quantize(benchmark::State& state, tk::Qs8ActType type, tk::ActQuant mode, int m, int k,
                 int threads) {
  auto x = random_floats(size_t(m) * k, 4, 1.0f);
  tk::Qs8Activations a;
  a.reserve(m, k, type == tk::Qs8ActType::kInt8 ? 4 : 2, type);
  tessera::ThreadPool& pool = pool_for(threads);
  for (auto _ : state) {
    tk::quantize_rows_qs8(pool, m, x.data(), k, mode, a);
    benchmark::ClobberMemory();
  }
  state.counters["Gelem/s"] =
      benchmark::Counter(double(m) * k / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  g_peak[1] = measure_int8_peak(1);
  g_peak[2] = measure_int8_peak(2);
  std::printf(
      "CPU: %s [%s]\nint8 peak (vpmaddubsw+vpmaddwd+vpaddd): %.1f GOP/s on 1 thread, %.1f on 2\n",
      tessera::cpu_features().brand.c_str(), tessera::cpu_features().summary().c_str(), g_peak[1],
      g_peak[2]);
  for (const tk::Qs8GemmUkernel& uk : tk::qs8_gemm_ukernels()) {
    const bool scalar = std::string(uk.isa) == "none";
    const int m = scalar ? 60 : 1500;  // the scalar references only as a sanity point
    for (const Shape& s : kShapes)
      for (int threads : {1, 2}) {
        const std::string name = std::string("gemm/") + uk.name + "/" + s.what + "/M" +
                                 std::to_string(m) + "xN" + std::to_string(s.n) + "xK" +
                                 std::to_string(s.k) + "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), bm_gemm, &uk, m, s, threads)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
  }
  // Decoder steps (M = 1 greedy, 5 beams or windows, 25 = 5 x 5) on base's decoder shapes, for
  // the W8A16 entries: s16-stored (encoder) vs s8-stored (qs8_gemm_few_rows_best) weights.
  const Shape kDecoderShapes[] = {{51865, 512, "logits"}, {2048, 512, "fc1"}, {512, 2048, "fc2"}};
  for (const tk::Qs8GemmUkernel& uk : tk::qs8_gemm_ukernels()) {
    if (uk.act != tk::Qs8ActType::kInt16 || std::string(uk.isa) == "none") continue;
    for (const Shape& s : kDecoderShapes)
      for (int m : {1, 5, 25}) {
        const std::string name = std::string("decoder/") + uk.name + "/" + s.what + "/M" +
                                 std::to_string(m) + "xN" + std::to_string(s.n) + "xK" +
                                 std::to_string(s.k) + "/threads:2";
        benchmark::RegisterBenchmark(name.c_str(), bm_gemm, &uk, m, s, 2)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
  }
  for (auto [type, mode, tname] :
       {std::tuple{tk::Qs8ActType::kInt8, tk::ActQuant::kSymmetric, "int8-sym"},
        {tk::Qs8ActType::kInt8, tk::ActQuant::kAsymmetric, "int8-asym"},
        {tk::Qs8ActType::kInt16, tk::ActQuant::kSymmetric, "int16-sym"}})
    for (int k : {512, 2048})
      for (int threads : {1, 2}) {
        const std::string name = std::string("quantize/") + tname + "/M1500xK" + std::to_string(k) +
                                 "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), bm_quantize, type, mode, 1500, k, threads)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
