#include "kernels/peak_probe.h"

#include <atomic>
#include <ctime>
#include <thread>
#include <vector>

#include "tessera/cpu_features.h"

namespace tessera::kernels {
namespace avx2 {
double fp32_fma_loop(int64_t iters, float seed);
double int8_dot_loop(int64_t iters, int seed);
double int16_dot_loop(int64_t iters, int seed);
}  // namespace avx2

namespace {

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Runs loop(iters) on every thread at once and returns the combined rate in G per second. Each
// thread's rate is taken over its own CPU time, not the wall clock, so other processes sharing
// the cores do not lower the peak (they would make every kernel look closer to it).
template <typename Loop>
double rate(int threads, double ms, Loop loop) {
  int64_t iters = 1 << 16;
  for (;;) {  // calibrate on one thread to about `ms`
    const double t0 = thread_cpu_seconds();
    loop(iters, 0);
    const double el = (thread_cpu_seconds() - t0) * 1e3;
    if (el > ms / 4) {
      iters = static_cast<int64_t>(static_cast<double>(iters) * ms / el);
      break;
    }
    iters *= 4;
  }
  std::vector<double> per_thread(threads);
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready++;
      while (ready.load() < threads) {
      }
      const double t0 = thread_cpu_seconds();
      const double ops = loop(iters, t);
      per_thread[t] = ops / (thread_cpu_seconds() - t0);
    });
  for (auto& th : pool) th.join();
  double total = 0;
  for (double r : per_thread) total += r;
  return total / 1e9;
}

}  // namespace

PeakProbe measure_peak(int threads, double ms) {
  PeakProbe p;
  p.threads = threads;
  const CpuFeatures& cpu = cpu_features();
  if (cpu.has_avx2_fma()) {
    p.isa = "avx2-fma";
    p.fp32_gflops =
        rate(threads, ms, [](int64_t n, int s) { return avx2::fp32_fma_loop(n, 1.0f + s); });
    p.int8_gops = rate(threads, ms, [](int64_t n, int s) { return avx2::int8_dot_loop(n, s); });
    p.int16_gops = rate(threads, ms, [](int64_t n, int s) { return avx2::int16_dot_loop(n, s); });
  } else {
    p.isa = "scalar";
  }
  return p;
}

}  // namespace tessera::kernels
