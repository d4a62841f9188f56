// The device interface the encoder graph is written against. The graph says *what* to compute
// (linear layers with fused epilogues, LayerNorm, attention); a Device says *how* on its hardware.
// CpuDevice (runtime/cpu/) implements it with tessera's kernels; an NPU or GPU backend implements
// the same interface, owning its own memory behind the pointers it hands out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tessera/encoder.h"

namespace tessera {

class ThreadPool;

// A row-major 2-D fp32 activation with a row stride, in the device's memory.
struct View {
  float* data = nullptr;
  int64_t rows = 0, cols = 0, ld = 0;
  float* row(int64_t r) const { return data + r * ld; }
};

// Work fused after a linear layer, in this order: + bias, GELU (exact), + residual.
struct LinearEpilogue {
  const float* bias = nullptr;  // device memory, cols of them
  bool gelu = false;
  View residual;  // rows x cols; may be the output itself
};

// A linear layer's weights (y = x W^T), converted and packed once by the device that runs them.
class LinearWeights {
 public:
  virtual ~LinearWeights() = default;
  virtual int n() const = 0;  // output features
  virtual int k() const = 0;  // input features
};

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;
  virtual std::string kernel_summary() const = 0;
  virtual ComputeType compute_type() const = 0;
  virtual int threads() const = 0;

  // Working memory that lives as long as the device (the activation plan). Zeroed (touched) when
  // allocated, so no fresh page is met during inference.
  virtual float* allocate(size_t floats) = 0;
  // Read-only weight data (biases, LayerNorm parameters, tables) stored beside the packed weights.
  virtual const float* upload(const float* host, size_t floats) = 0;

  // Packs W [n x k] (host, fp32) for this device's compute type. `max_rows` is the largest m any
  // later linear() call will pass, so per-call scratch can be planned now.
  virtual std::unique_ptr<LinearWeights> pack_linear(const float* w, int n, int k,
                                                     int64_t max_rows) = 0;
  // Every weight is packed or uploaded: the device may freeze them (the CPU device turns its
  // kernel image read-only). Packing or uploading afterwards is an error.
  virtual void seal_weights() = 0;
  // Bytes of weights held (packed panels, scales, uploaded data, alignment padding).
  virtual size_t weight_bytes() const = 0;

  // The same for a layer that mostly sees few rows per call (a decoder step), so each call
  // streams all of W from memory: the device may pick a layout with fewer bytes per weight.
  virtual std::unique_ptr<LinearWeights> pack_linear_few_rows(const float* w, int n, int k,
                                                              int64_t max_rows) {
    return pack_linear(w, n, k, max_rows);
  }

  // out = epilogue(a W^T). a: rows x k, out: rows x n.
  virtual void linear(const LinearWeights& w, View a, View out, const LinearEpilogue& ep) = 0;
  virtual void layer_norm(View x, const float* gamma, const float* beta, float eps, View y) = 0;
  // linear(w, layer_norm(x), out, ep), with y as the normalized rows' buffer. A device may fuse
  // the two (the int8 CPU device normalizes each row straight into the GEMM's quantized
  // activations), and then leaves y alone: callers must not read y afterwards.
  virtual void layer_norm_linear(View x, const float* gamma, const float* beta, float eps, View y,
                                 const LinearWeights& w, View out, const LinearEpilogue& ep) {
    layer_norm(x, gamma, beta, eps, y);
    linear(w, y, out, ep);
  }
  // Sizes whatever attention() needs for up to `rows` rows of this head shape now, at load, so no
  // call allocates (the int8 CPU device keeps quantized copies of q, k and v).
  virtual void plan_attention(int /*rows*/, int /*heads*/, int /*d_head*/) {}
  // Multi-head self-attention without mask; q, k, v, out: t x (heads * d_head).
  virtual void attention(int heads, View q, View k, View v, View out, float scale) = 0;
  // dst (cols x rows) = src^T, for turning channel-major mel windows time-major.
  virtual void transpose(const float* src, int64_t rows, int64_t cols, View dst) = 0;
  // Copies host memory to/from the device.
  virtual void copy_in(const float* host, size_t floats, float* dst) = 0;
  virtual void copy_out(const float* src, size_t floats, float* host) = 0;
};

// The CPU device for a compute type (F32, BF16, Int8; not Auto). Throws tessera::Error when this
// CPU cannot run the requested type: there is no silent fallback.
std::unique_ptr<Device> make_cpu_device(ComputeType type, int threads);
// The same on the caller's thread pool (which must outlive the device), for a graph that also
// runs its own work on that pool: one set of threads, none competing with another's.
std::unique_ptr<Device> make_cpu_device(ComputeType type, ThreadPool& pool);

}  // namespace tessera
