// Attention kernels side by side on Whisper's encoder shapes (t = 1500 frames, d_head = 64, base 8
// heads, tiny.en 6): the fp32 flash-attention kernels against the qs16 (int16 vpmaddwd) ones,
// kernel alone (`kernel`, on an input quantized once) and with the quantize pass (`total`), plus
// the quantize pass alone. GOP/s counts the 4 t^2 d_head operations of QK^T and PV per head.
// Scalar entries are left out (seconds per call).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/f32_attention_table.h"
#include "kernels/f32_ops.h"
#include "kernels/qs16_attention.h"
#include "runtime/thread_pool.h"

namespace {

using namespace tessera;
using namespace tessera::kernels;

constexpr int kT = 1500, kDHead = 64;

// Activations shaped like the encoder's: q, k, v rows of one [t x 3 d] buffer, values ~N(0, 1)
// with a few larger channels.
struct Qkv {
  int width;
  std::vector<float> x;
  const float* q() const { return x.data(); }
  const float* k() const { return x.data() + width; }
  const float* v() const { return x.data() + 2 * width; }
  int64_t ld() const { return 3 * width; }
};

Qkv make_qkv(int heads) {
  Qkv d{heads * kDHead, {}};
  d.x.resize(static_cast<size_t>(kT) * 3 * d.width);
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (size_t i = 0; i < d.x.size(); ++i) d.x[i] = dist(rng) * (i % 97 == 0 ? 6.0f : 1.0f);
  return d;
}

ThreadPool& pool(int threads) {
  static std::unique_ptr<ThreadPool> pools[3];
  if (!pools[threads]) pools[threads] = std::make_unique<ThreadPool>(threads);
  return *pools[threads];
}

double ops(int heads) {
  return 4.0 * kT * kT * kDHead * heads;
}

void set_counters(benchmark::State& state, int heads) {
  state.counters["GOPS"] =
      benchmark::Counter(ops(heads) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void f32(benchmark::State& state, const F32AttentionUkernel* uk, int heads, int threads) {
  const Qkv d = make_qkv(heads);
  std::vector<float> out(static_cast<size_t>(kT) * d.width);
  for (auto _ : state) {
    attention_f32(*uk, pool(threads), kT, heads, kDHead, d.q(), d.ld(), d.k(), d.ld(), d.v(),
                  d.ld(), out.data(), d.width, 0.125f);
    benchmark::ClobberMemory();
  }
  set_counters(state, heads);
}

enum class Part { kTotal, kKernel, kQuantize };

void qs16(benchmark::State& state, const Qs16AttentionUkernel* uk, int heads, int threads,
          Part part) {
  const Qkv d = make_qkv(heads);
  std::vector<float> out(static_cast<size_t>(kT) * d.width);
  Qs16AttentionInput in;
  in.reserve(kT, heads, kDHead);
  auto quantize = [&] {
    quantize_attention_qs16(*uk, pool(threads), kT, heads, kDHead, d.q(), d.ld(), d.k(), d.ld(),
                            d.v(), d.ld(), 0.125f, in);
  };
  quantize();
  for (auto _ : state) {
    if (part != Part::kKernel) quantize();
    if (part != Part::kQuantize) attention_qs16(*uk, pool(threads), in, out.data(), d.width);
    benchmark::ClobberMemory();
  }
  if (part != Part::kQuantize) set_counters(state, heads);
}

double min_of(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}

bool usable(bool supported, const char* name, const char* isa) {
  if (!supported) std::fprintf(stderr, "skipping %s: needs %s\n", name, isa);
  return supported;
}

bool is_scalar(const char* name) {
  return std::string(name).find("scalar") != std::string::npos;
}

void register_all() {
  for (int heads : {8, 6})
    for (int threads : {1, 2}) {
      const std::string shape =
          "/t1500xheads" + std::to_string(heads) + "xd64/threads:" + std::to_string(threads);
      for (const auto& uk : f32_attention_ukernels()) {
        if (is_scalar(uk.name) || !usable(uk.supported(), uk.name, uk.isa)) continue;
        benchmark::RegisterBenchmark((uk.name + shape).c_str(), f32, &uk, heads, threads)
            ->UseRealTime()
            ->ComputeStatistics("min", min_of)
            ->Unit(benchmark::kMillisecond);
      }
      for (const auto& uk : qs16_attention_ukernels()) {
        if (is_scalar(uk.name) || !usable(uk.supported(), uk.name, uk.isa)) continue;
        for (auto [part, tag] : {std::pair{Part::kTotal, "/total"},
                                 {Part::kKernel, "/kernel"},
                                 {Part::kQuantize, "/quantize"}})
          benchmark::RegisterBenchmark((uk.name + std::string(tag) + shape).c_str(), qs16, &uk,
                                       heads, threads, part)
              ->UseRealTime()
              ->ComputeStatistics("min", min_of)
              ->Unit(benchmark::kMillisecond);
      }
    }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
