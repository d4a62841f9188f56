// Process-level measurements for reports: resident memory and default thread count.
#pragma once

namespace tessera {

double peak_rss_mb();      // VmHWM of this process
double current_rss_mb();   // VmRSS of this process
int cpu_threads_default(); // what a thread count of 0 means: physical cores

}  // namespace tessera
