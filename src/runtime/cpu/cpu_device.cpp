// The CPU device: runs the encoder graph's operators with tessera's kernels on one thread pool.
#include <cstring>
#include <vector>

#include "kernels/f32_ops.h"
#include "kernels/int8_ops.h"
#include "kernels/qs16_attention.h"
#include "kernels/qs8_layernorm.h"
#include "runtime/aligned_buffer.h"
#include "runtime/device.h"
#include "runtime/kernel_image.h"
#include "runtime/thread_pool.h"
#include "tessera/cpu_features.h"
#include "tessera/error.h"

namespace tessera {
namespace {

class CpuLinearF32 final : public LinearWeights {
 public:
  explicit CpuLinearF32(kernels::PackedF32 p) : packed(std::move(p)) {}
  int n() const override { return packed.n; }
  int k() const override { return packed.k; }
  kernels::PackedF32 packed;
};

// int8 weights (per output channel) with dynamically quantized activations (per row).
class CpuLinearQs8 final : public LinearWeights {
 public:
  explicit CpuLinearQs8(kernels::PackedQs8 p) : packed(std::move(p)) {}
  int n() const override { return packed.n; }
  int k() const override { return packed.k; }
  kernels::PackedQs8 packed;
};

class CpuDevice final : public Device {
 public:
  CpuDevice(ComputeType type, int threads)
      : type_(type), own_pool_(std::make_unique<ThreadPool>(threads)), pool_(*own_pool_) {}
  CpuDevice(ComputeType type, ThreadPool& pool) : type_(type), pool_(pool) {}

  std::string name() const override { return "cpu"; }
  std::string kernel_summary() const override {
    std::string s = kernels::f32_kernel_summary();
    if (type_ == ComputeType::Int8)
      s.append(" ")
          .append(kernels::qs8_kernel_summary())
          .append(", int8 ")
          .append(kernels::qs16_attention_summary());
    return s;
  }
  ComputeType compute_type() const override { return type_; }
  int threads() const override { return pool_.size(); }

  float* allocate(size_t floats) override {
    float* p = workspace_.allocate_array<float>(floats);
    // Already zero; writing the zeros touches the pages now, at load, so no inference meets a
    // fresh page (about 10 us each on these VMs).
    std::memset(p, 0, floats * sizeof(float));
    return p;
  }
  const float* upload(const float* host, size_t floats) override {
    float* p = image_.allocate_array<float>(floats);
    std::memcpy(p, host, floats * sizeof(float));
    return p;
  }
  void seal_weights() override { image_.seal(); }
  size_t weight_bytes() const override { return image_.size(); }

  std::unique_ptr<LinearWeights> pack_linear(const float* w, int n, int k,
                                             int64_t max_rows) override {
    // 16-bit activations against int8 weights: exact on AVX2 at ~90 % of the W8A8 speed, and the
    // encoder error drops from ~5-7 % (W8A8) to ~2.4 %, inside the 4 % gate (docs/KERNELS_INT8.md).
    return pack(w, n, k, max_rows, kernels::qs8_gemm_best(kernels::Qs8ActType::kInt16));
  }
  std::unique_ptr<LinearWeights> pack_linear_few_rows(const float* w, int n, int k,
                                                      int64_t max_rows) override {
    // The same W8A16 arithmetic with the weights in one byte each: few rows stream them.
    return pack(w, n, k, max_rows, kernels::qs8_gemm_few_rows_best(kernels::Qs8ActType::kInt16));
  }

  void linear(const LinearWeights& w, View a, View out, const LinearEpilogue& ep) override {
    kernels::Epilogue e{
        .bias = ep.bias, .gelu = ep.gelu, .residual = ep.residual.data, .ldr = ep.residual.ld};
    if (type_ == ComputeType::Int8) {
      const auto& lw = static_cast<const CpuLinearQs8&>(w);
      kernels::Qs8Activations& act = activations_for(lw.packed, a.rows);
      kernels::quantize_rows_qs8(pool_, static_cast<int>(a.rows), a.data, a.ld,
                                 kernels::ActQuant::kSymmetric, act, lw.packed.act_multiplier());
      kernels::gemm_qs8(pool_, act, lw.packed, out.data, out.ld, e);
      return;
    }
    const auto& lw = static_cast<const CpuLinearF32&>(w);
    kernels::gemm_f32(pool_, static_cast<int>(a.rows), a.data, a.ld, lw.packed, out.data, out.ld,
                      e);
  }

  void layer_norm(View x, const float* gamma, const float* beta, float eps, View y) override {
    kernels::layer_norm_f32(pool_, static_cast<int>(x.rows), static_cast<int>(x.cols), x.data, x.ld,
                            gamma, beta, eps, y.data, y.ld);
  }

  void layer_norm_linear(View x, const float* gamma, const float* beta, float eps, View y,
                         const LinearWeights& w, View out, const LinearEpilogue& ep) override {
    if (type_ != ComputeType::Int8) {
      Device::layer_norm_linear(x, gamma, beta, eps, y, w, out, ep);
      return;
    }
    // Normalized rows go straight into the int16 activations: no fp32 round trip through y.
    const auto& lw = static_cast<const CpuLinearQs8&>(w);
    kernels::Qs8Activations& act = activations_for(lw.packed, x.rows);
    kernels::layer_norm_quantize_qs8(pool_, static_cast<int>(x.rows), static_cast<int>(x.cols),
                                     x.data, x.ld, gamma, beta, eps, kernels::ActQuant::kSymmetric,
                                     act, lw.packed.act_multiplier());
    kernels::gemm_qs8(
        pool_, act, lw.packed, out.data, out.ld,
        {.bias = ep.bias, .gelu = ep.gelu, .residual = ep.residual.data, .ldr = ep.residual.ld});
  }

  void plan_attention(int rows, int heads, int d_head) override {
    if (type_ == ComputeType::Int8) attention_input_.reserve(rows, heads, d_head);
  }

  void attention(int heads, View q, View k, View v, View out, float scale) override {
    if (type_ == ComputeType::Int8) {
      // Integer flash attention (int16 Q, K, V, P; kernels/qs16_attention.h). The quantized
      // copies were sized by plan_attention(); reserve() only grows them for a caller that did
      // not plan.
      const int t = static_cast<int>(q.rows), d_head = static_cast<int>(q.cols / heads);
      if (heads <= 0 || d_head <= 0) throw Error("cpu attention: bad head count");
      attention_input_.reserve(t, heads, d_head);
      kernels::attention_qs16(kernels::qs16_attention_best(d_head), pool_, t, heads, d_head, q.data,
                              q.ld, k.data, k.ld, v.data, v.ld, out.data, out.ld, scale,
                              attention_input_);
      return;
    }
    kernels::attention_f32(pool_, static_cast<int>(q.rows), heads, static_cast<int>(q.cols / heads),
                           q.data, q.ld, k.data, k.ld, v.data, v.ld, out.data, out.ld, scale);
  }

  void transpose(const float* src, int64_t rows, int64_t cols, View dst) override {
    pool_.parallel_for(cols, 64, [&](int64_t c0, int64_t c1, int) {
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = 0; r < rows; ++r) dst.data[c * dst.ld + r] = src[r * cols + c];
    });
  }

  void copy_in(const float* host, size_t floats, float* dst) override {
    std::memcpy(dst, host, floats * sizeof(float));
  }
  void copy_out(const float* src, size_t floats, float* host) override {
    std::memcpy(host, src, floats * sizeof(float));
  }

 private:
  std::unique_ptr<LinearWeights> pack(const float* w, int n, int k, int64_t max_rows,
                                      const kernels::Qs8GemmUkernel& uk) {
    if (type_ != ComputeType::Int8)
      return std::make_unique<CpuLinearF32>(kernels::pack_f32(w, n, k, &image_));
    auto lw = std::make_unique<CpuLinearQs8>(kernels::pack_qs8(w, n, k, nullptr, &uk, &image_));
    activations_for(lw->packed, max_rows);  // planned now, so linear() never allocates
    return lw;
  }

  // One quantized-activation buffer per input width, shared by every layer of that width and
  // sized for the most rows any of them sees.
  kernels::Qs8Activations& activations_for(const kernels::PackedQs8& w, int64_t rows) {
    for (auto& act : activations_)
      if (act->k == w.k && act->k_padded == w.k_padded) {
        if (act->capacity < rows) act->reserve(static_cast<int>(rows), w);
        return *act;
      }
    activations_.push_back(std::make_unique<kernels::Qs8Activations>());
    activations_.back()->reserve(static_cast<int>(rows), w);
    return *activations_.back();
  }

  ComputeType type_;
  std::unique_ptr<ThreadPool> own_pool_;  // unless the device runs on its owner's pool
  ThreadPool& pool_;
  // Every weight in one region, packed in place at load and sealed read-only
  // (runtime/kernel_image.h); the activation plan in another, so both are one allocation each,
  // touched once at load.
  KernelImage image_{size_t{16} << 30};
  KernelImage workspace_{size_t{16} << 30};
  std::vector<std::unique_ptr<kernels::Qs8Activations>> activations_;
  kernels::Qs16AttentionInput attention_input_;
};

}  // namespace

namespace {
void check_cpu_type(ComputeType type) {
  if (type != ComputeType::F32 && type != ComputeType::Int8)
    throw Error("compute type " + std::string(compute_type_name(type)) +
                " is not available on this CPU (" + cpu_features().summary() +
                "): it needs AVX512-BF16; available: fp32, int8");
}
}  // namespace

std::unique_ptr<Device> make_cpu_device(ComputeType type, int threads) {
  check_cpu_type(type);
  return std::make_unique<CpuDevice>(type, threads);
}

std::unique_ptr<Device> make_cpu_device(ComputeType type, ThreadPool& pool) {
  check_cpu_type(type);
  return std::make_unique<CpuDevice>(type, pool);
}

}  // namespace tessera
