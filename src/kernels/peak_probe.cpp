#include "kernels/peak_probe.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tessera/cpu_features.h"

namespace tessera::kernels {
namespace avx2 {
double fp32_fma_loop(int64_t iters, float seed);
double int8_dot_loop(int64_t iters, int seed);
}  // namespace avx2

namespace {

// Runs loop(iters) on every thread at once and returns the combined rate in G per second.
template <typename Loop>
double rate(int threads, double ms, Loop loop) {
  int64_t iters = 1 << 16;
  for (;;) {  // calibrate on one thread to about `ms`
    auto t0 = std::chrono::steady_clock::now();
    loop(iters, 0);
    double el = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (el > ms / 4) {
      iters = static_cast<int64_t>(iters * ms / el);
      break;
    }
    iters *= 4;
  }
  std::vector<double> ops(threads);
  std::atomic<int> ready{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready++;
      while (ready.load() < threads) {
      }
      ops[t] = loop(iters, t);
    });
  for (auto& th : pool) th.join();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double total = 0;
  for (double o : ops) total += o;
  return total / s / 1e9;
}

}  // namespace

PeakProbe measure_peak(int threads, double ms) {
  PeakProbe p;
  p.threads = threads;
  const CpuFeatures& cpu = cpu_features();
  if (cpu.has_avx2_fma()) {
    p.isa = "avx2-fma";
    p.fp32_gflops = rate(threads, ms, [](int64_t n, int s) { return avx2::fp32_fma_loop(n, 1.0f + s); });
    p.int8_gops = rate(threads, ms, [](int64_t n, int s) { return avx2::int8_dot_loop(n, s); });
  } else {
    p.isa = "scalar";
  }
  return p;
}

}  // namespace tessera::kernels
