#include <gtest/gtest.h>
#include <sys/resource.h>

#include <memory>
#include <random>

#include "runtime/device.h"

namespace tessera {
namespace {

long minor_faults() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// The first int8 attention call of a planned device meets no fresh page (its quantized copies of
// q, k and v, ~4.6 MB here, were sized and touched by plan_attention), and planning does not
// change the result. (The unplanned call's faults are not asserted: malloc may hand it pages an
// earlier test already touched.)
TEST(CpuDevice, PlannedAttentionTouchesNoFreshPage) {
  constexpr int t = 1500, heads = 8, d_head = 64, w = heads * d_head;
  auto run = [&](bool plan, std::vector<float>& result) {
    auto dev = make_cpu_device(ComputeType::Int8, 1);
    if (plan) dev->plan_attention(t, heads, d_head);
    float* qkv = dev->allocate(size_t{3} * t * w);
    float* out = dev->allocate(size_t{t} * w);
    std::mt19937 rng(5);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (size_t i = 0; i < size_t{3} * t * w; ++i) qkv[i] = dist(rng);
    const long before = minor_faults();
    dev->attention(heads, {qkv, t, w, 3 * w}, {qkv + w, t, w, 3 * w}, {qkv + 2 * w, t, w, 3 * w},
                   {out, t, w, w}, 0.125f);
    const long faults = minor_faults() - before;
    result.assign(out, out + size_t{t} * w);
    return faults;
  };
  std::vector<float> planned, unplanned;
  const long unplanned_faults = run(false, unplanned);
  const long planned_faults = run(true, planned);
  RecordProperty("unplanned_faults", static_cast<int>(unplanned_faults));
  EXPECT_LT(planned_faults, 50);
  EXPECT_EQ(planned, unplanned);
}

}  // namespace
}  // namespace tessera
