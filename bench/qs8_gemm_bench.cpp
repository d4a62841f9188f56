// Int8 GEMM family on Whisper base encoder shapes (every table entry this CPU supports, 1 and 2
// threads), on decoder-step shapes (M = 1, 5, 25; W8A16 entries), plus the activation quantize
// step. Counters: GOP/s (2 M N K per second of
// wall clock; GOP/s_oncpu: the same over the process's CPU time, which other processes sharing the
// cores do not inflate) and this machine's int8 dot-product peak, measured at start-up with a
// register-only vpmaddubsw + vpmaddwd + vpaddd loop (inline asm, so nothing is folded away).
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
#include "tessera/cpu_features.h"

namespace tk = tessera::kernels;

namespace {

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Eight independent vpmaddubsw -> vpmaddwd -> vpaddd chains per iteration: 8 * 32 multiply-adds.
double int8_peak_loop(int64_t iters) {
#if defined(__x86_64__)
  __asm__ volatile(
      "vpcmpeqw %%ymm15, %%ymm15, %%ymm15\n\t"
      "vpabsw %%ymm15, %%ymm15\n\t"  // ones (s16)
      "vpcmpeqb %%ymm14, %%ymm14, %%ymm14\n\t"
      "vpabsb %%ymm14, %%ymm14\n\t"  // u8 ones
      "vmovdqa %%ymm14, %%ymm13\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\t"
      "vpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
      "vpxor %%ymm4, %%ymm4, %%ymm4\n\t"
      "vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
      "vpxor %%ymm6, %%ymm6, %%ymm6\n\t"
      "vpxor %%ymm7, %%ymm7, %%ymm7\n\t"
      "1:\n\t"
#define TESSERA_STEP(acc, t)                \
  "vpmaddubsw %%ymm13, %%ymm14, %%ymm" #t   \
  "\n\t"                                    \
  "vpmaddwd %%ymm15, %%ymm" #t ", %%ymm" #t \
  "\n\t"                                    \
  "vpaddd %%ymm" #t ", %%ymm" #acc ", %%ymm" #acc "\n\t"
      TESSERA_STEP(0, 8) TESSERA_STEP(1, 9) TESSERA_STEP(2, 10) TESSERA_STEP(3, 11)
          TESSERA_STEP(4, 8) TESSERA_STEP(5, 9) TESSERA_STEP(6, 10) TESSERA_STEP(7, 11)
#undef TESSERA_STEP
              "dec %0\n\t"
              "jnz 1b\n\t"
              "vzeroupper\n\t"
      : "+r"(iters)
      :
      : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
        "xmm10", "xmm11", "xmm13", "xmm14", "xmm15");
#endif
  return 0;
}

// Combined int8 peak of `threads` threads in GOP/s (1 multiply-add = 2 ops).
double measure_int8_peak(int threads) {
  if (!tessera::cpu_features().has_avx2_fma()) return 0;
  const int64_t iters = 20'000'000;
  int8_peak_loop(iters / 10);
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  std::vector<double> rate(threads);
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready++;
      while (ready.load() < threads) {
      }
      const double c0 = thread_cpu_seconds();
      int8_peak_loop(iters);
      rate[t] = double(iters) * 8 * 32 * 2 / (thread_cpu_seconds() - c0) / 1e9;
    });
  for (auto& th : pool) th.join();
  double total = 0;
  for (double r : rate) total += r;
  return total;  // per-thread CPU time: what the cores do when they are ours
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
