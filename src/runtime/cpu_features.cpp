#include "tessera/cpu_features.h"

#include <cpuid.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace tessera {
namespace {

uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// Physical cores from sysfs (unique core ids per package); falls back to logical cores.
int count_physical_cores(int logical) {
  std::set<std::pair<std::string, std::string>> cores;
  for (int cpu = 0; cpu < logical; ++cpu) {
    std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream core(base + "core_id"), pkg(base + "physical_package_id");
    std::string c, p;
    if (!(core >> c) || !(pkg >> p)) return logical;
    cores.insert({p, c});
  }
  return cores.empty() ? logical : static_cast<int>(cores.size());
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned a, b, c, d;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  bool os_avx = false, os_avx512 = false;
  if (max_leaf >= 1) {
    __cpuid(1, a, b, c, d);
    f.fma = c & bit_FMA;
    f.f16c = c & bit_F16C;
    bool osxsave = c & bit_OSXSAVE;
    if (osxsave) {
      uint64_t xcr0 = xgetbv0();
      os_avx = (xcr0 & 0x6) == 0x6;            // XMM + YMM state
      os_avx512 = (xcr0 & 0xe6) == 0xe6;       // + opmask, ZMM_Hi256, Hi16_ZMM
    }
    if (!os_avx) f.fma = f.f16c = false;
  }
  if (max_leaf >= 7 && os_avx) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = b & bit_AVX2;
    if (os_avx512) {
      f.avx512f = b & bit_AVX512F;
      f.avx512bw = b & bit_AVX512BW;
      f.avx512vl = b & bit_AVX512VL;
      f.avx512vnni = c & bit_AVX512VNNI;
    }
    __cpuid_count(7, 1, a, b, c, d);
    f.avx_vnni = a & (1u << 4);
    if (os_avx512) f.avx512bf16 = a & (1u << 5);
  }
  unsigned ext = __get_cpuid_max(0x80000000, nullptr);
  if (ext >= 0x80000004) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      __cpuid(0x80000002 + i, a, b, c, d);
      std::memcpy(brand + 16 * i, &a, 4);
      std::memcpy(brand + 16 * i + 4, &b, 4);
      std::memcpy(brand + 16 * i + 8, &c, 4);
      std::memcpy(brand + 16 * i + 12, &d, 4);
    }
    f.brand = brand;
    while (!f.brand.empty() && f.brand.back() == ' ') f.brand.pop_back();
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  f.logical_cores = n > 0 ? static_cast<int>(n) : 1;
  f.physical_cores = count_physical_cores(f.logical_cores);
  return f;
}

}  // namespace

std::string CpuFeatures::summary() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2, "AVX2");
  add(fma, "FMA");
  add(f16c, "F16C");
  add(avx512f, "AVX512F");
  add(avx512bw, "AVX512BW");
  add(avx512vl, "AVX512VL");
  add(avx512vnni, "AVX512-VNNI");
  add(avx512bf16, "AVX512-BF16");
  add(avx_vnni, "AVX-VNNI");
  return s.empty() ? "none" : s;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace tessera
