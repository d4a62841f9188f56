#include "runtime/process_stats.h"

#include <fstream>
#include <string>

#include "tessera/cpu_features.h"

namespace tessera {
namespace {

double status_kb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string k = std::string(key) + ":";
  while (std::getline(f, line))
    if (line.compare(0, k.size(), k) == 0) return std::stod(line.substr(k.size()));
  return 0;
}

}  // namespace

double peak_rss_mb() { return status_kb("VmHWM") / 1024.0; }
double current_rss_mb() { return status_kb("VmRSS") / 1024.0; }
int cpu_threads_default() { return cpu_features().physical_cores; }

}  // namespace tessera
