#include "tessera/cpu_features.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace tessera {
namespace {

// The flags Linux reports in /proc/cpuinfo are an independent view of the same cpuid bits.
std::string cpuinfo_flags() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("flags", 0) == 0) return line + " ";
  return "";
}

TEST(CpuFeatures, AgreesWithProcCpuinfo) {
  std::string flags = cpuinfo_flags();
  if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo flags line";
  auto has = [&](const char* f) { return flags.find(std::string(" ") + f + " ") != std::string::npos; };
  const CpuFeatures& c = cpu_features();
  EXPECT_EQ(c.avx2, has("avx2"));
  EXPECT_EQ(c.fma, has("fma"));
  EXPECT_EQ(c.f16c, has("f16c"));
  EXPECT_EQ(c.avx512f, has("avx512f"));
  EXPECT_EQ(c.avx512bw, has("avx512bw"));
  EXPECT_EQ(c.avx512vl, has("avx512vl"));
  EXPECT_EQ(c.avx512vnni, has("avx512_vnni"));
  EXPECT_EQ(c.avx512bf16, has("avx512_bf16"));
  EXPECT_EQ(c.avx_vnni, has("avx_vnni"));
}

TEST(CpuFeatures, CoresAndSummary) {
  const CpuFeatures& c = cpu_features();
  EXPECT_GE(c.logical_cores, 1);
  EXPECT_GE(c.physical_cores, 1);
  EXPECT_LE(c.physical_cores, c.logical_cores);
  EXPECT_FALSE(c.summary().empty());
  if (c.avx2) {
    EXPECT_NE(c.summary().find("AVX2"), std::string::npos);
  }
}

}  // namespace
}  // namespace tessera
