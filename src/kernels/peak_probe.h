// Measures this machine's arithmetic peak per instruction set with tight register-only loops, so
// the benchmark can report what fraction of the peak a kernel reaches (not a datasheet number).
#pragma once

#include <string>

namespace tessera::kernels {

struct PeakProbe {
  std::string isa;         // instruction set probed, e.g. "avx2-fma"
  double fp32_gflops = 0;  // FMA peak on `threads` threads
  double int8_gops = 0;    // int8 dot-product peak (AVX2: vpmaddubsw + vpmaddwd + vpaddd)
  double int16_gops = 0;   // s16 dot-product peak (AVX2: vpmaddwd + vpaddd), what W8A16 runs on
  int threads = 1;
};

// Runs for about `ms` milliseconds per measurement on `threads` threads.
PeakProbe measure_peak(int threads, double ms = 100);

}  // namespace tessera::kernels
