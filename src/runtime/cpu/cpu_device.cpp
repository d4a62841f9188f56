// The CPU device: runs the encoder graph's operators with tessera's kernels on one thread pool.
#include <cstring>
#include <vector>

#include "kernels/f32_ops.h"
#include "runtime/aligned_buffer.h"
#include "runtime/device.h"
#include "runtime/thread_pool.h"
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

class CpuDevice final : public Device {
 public:
  CpuDevice(ComputeType type, int threads) : type_(type), pool_(threads) {}

  std::string name() const override { return "cpu"; }
  std::string kernel_summary() const override { return kernels::f32_kernel_summary(); }
  ComputeType compute_type() const override { return type_; }
  int threads() const override { return pool_.size(); }

  float* allocate(size_t floats) override {
    buffers_.emplace_back(floats);
    return buffers_.back().data();
  }
  float* upload(const float* host, size_t floats) override {
    float* p = allocate(floats);
    std::memcpy(p, host, floats * sizeof(float));
    return p;
  }

  std::unique_ptr<LinearWeights> pack_linear(const float* w, int n, int k, int64_t) override {
    return std::make_unique<CpuLinearF32>(kernels::pack_f32(w, n, k));
  }

  void linear(const LinearWeights& w, View a, View out, const LinearEpilogue& ep) override {
    const auto& lw = static_cast<const CpuLinearF32&>(w);
    kernels::Epilogue e{.bias = ep.bias, .gelu = ep.gelu, .residual = ep.residual.data,
                        .ldr = ep.residual.ld};
    kernels::gemm_f32(pool_, static_cast<int>(a.rows), a.data, a.ld, lw.packed, out.data, out.ld, e);
  }

  void layer_norm(View x, const float* gamma, const float* beta, float eps, View y) override {
    kernels::layer_norm_f32(pool_, static_cast<int>(x.rows), static_cast<int>(x.cols), x.data, x.ld,
                            gamma, beta, eps, y.data, y.ld);
  }

  void attention(int heads, View q, View k, View v, View out, float scale) override {
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
  ComputeType type_;
  ThreadPool pool_;
  std::vector<AlignedBuffer<float>> buffers_;
};

}  // namespace

std::unique_ptr<Device> make_cpu_device(ComputeType type, int threads) {
  if (type != ComputeType::F32)
    throw Error("compute type " + std::string(compute_type_name(type)) +
                " is not available on the CPU device in this build (available: fp32)");
  return std::make_unique<CpuDevice>(type, threads);
}

}  // namespace tessera
