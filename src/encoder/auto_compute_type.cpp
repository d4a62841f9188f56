// compute type "auto": the fastest type this CPU runs, measured, not assumed.
//
// Every compute type tessera offers meets the accuracy gates (tests/integration), so auto only has
// to find the fastest. It times one encoder layer of the model's own shape (random weights, a
// full 30 s window) in every type the CPU supports, alternating the types so machine noise hits
// them alike, and keeps the fastest median. The choice is remembered for the process and on disk
// ($XDG_CACHE_HOME or ~/.cache, tessera/auto_compute_type.json, keyed by CPU, model shape and
// threads), so the measurement (~0.5 s for base) happens once per machine.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "kernels/f32_ops.h"
#include "kernels/int8_ops.h"
#include "runtime/process_stats.h"
#include "tessera/cpu_features.h"
#include "tessera/encoder.h"
#include "tessera/error.h"

namespace tessera {
namespace {

// The compute types the CPU device can run here (bf16 needs AVX512-BF16, which it does not run
// yet).
std::vector<ComputeType> runnable_types() {
  return {ComputeType::F32, ComputeType::Int8};
}

// The kernels chosen are part of the key: a build with other kernels measures again.
std::string cache_key(const ModelConfig& c, int threads) {
  const CpuFeatures& cpu = cpu_features();
  return cpu.brand + " [" + cpu.summary() + "] {" + kernels::f32_kernel_summary() + " " +
         kernels::qs8_kernel_summary() + "} d=" + std::to_string(c.n_audio_state) +
         " heads=" + std::to_string(c.n_audio_head) + " mels=" + std::to_string(c.n_mels) +
         " ctx=" + std::to_string(c.n_audio_ctx) + " threads=" + std::to_string(threads);
}

std::filesystem::path cache_file() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg) return std::filesystem::path(xdg) / "tessera" / "auto_compute_type.json";
  if (home && *home)
    return std::filesystem::path(home) / ".cache" / "tessera" / "auto_compute_type.json";
  return {};
}

nlohmann::json read_cache(const std::filesystem::path& f) {
  if (f.empty()) return nlohmann::json::object();
  std::ifstream in(f);
  if (!in) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json::object();
}

// A one-layer encoder with the model's dimensions and random weights.
std::shared_ptr<const Model> probe_model(const ModelConfig& c) {
  auto m = std::make_shared<Model>();
  m->dir = "(auto compute type probe)";
  m->config = c;
  m->config.n_audio_layer = 1;
  const int64_t d = c.n_audio_state, mels = c.n_mels, ctx = c.n_audio_ctx;
  auto storage = std::make_shared<std::vector<std::vector<float>>>();
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float fill_mean) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    auto& v = storage->emplace_back(static_cast<size_t>(n));
    for (float& x : v) x = fill_mean + dist(rng);
    m->weights.add(Tensor{.name = name, .dtype = DType::F32, .shape = shape, .data = v.data()});
  };
  add("encoder/conv1/weight", {d, mels, 3}, 0);
  add("encoder/conv1/bias", {d}, 0);
  add("encoder/conv2/weight", {d, d, 3}, 0);
  add("encoder/conv2/bias", {d}, 0);
  add("encoder/position_encodings/encodings", {ctx, d}, 0);
  add("encoder/layer_norm/gamma", {d}, 1);
  add("encoder/layer_norm/beta", {d}, 0);
  const std::string l = "encoder/layer_0/";
  for (const char* ln : {"self_attention/layer_norm/", "ffn/layer_norm/"}) {
    add(l + ln + "gamma", {d}, 1);
    add(l + ln + "beta", {d}, 0);
  }
  add(l + "self_attention/linear_0/weight", {3 * d, d}, 0);
  add(l + "self_attention/linear_0/bias", {3 * d}, 0);
  add(l + "self_attention/linear_1/weight", {d, d}, 0);
  add(l + "self_attention/linear_1/bias", {d}, 0);
  add(l + "ffn/linear_0/weight", {4 * d, d}, 0);
  add(l + "ffn/linear_0/bias", {4 * d}, 0);
  add(l + "ffn/linear_1/weight", {d, 4 * d}, 0);
  add(l + "ffn/linear_1/bias", {d}, 0);
  m->weights.keep_alive(storage);
  return m;
}

ComputeType measure_fastest(const ModelConfig& c, int threads) {
  const std::vector<ComputeType> types = runnable_types();
  if (types.size() == 1) return types[0];
  const auto model = probe_model(c);
  std::vector<std::unique_ptr<Encoder>> encoders;
  for (ComputeType t : types)
    encoders.push_back(
        std::make_unique<Encoder>(model, EncoderOptions{.compute_type = t, .threads = threads}));
  std::vector<float> mel(static_cast<size_t>(c.n_mels) * 2 * c.n_audio_ctx);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-1.0f, 1.5f);
  for (float& v : mel) v = dist(rng);
  std::vector<float> out(static_cast<size_t>(c.n_audio_ctx) * c.n_audio_state);
  std::vector<std::vector<double>> ms(types.size());
  constexpr int kRounds = 4;  // the first is warm-up
  for (int r = 0; r < kRounds; ++r)
    for (size_t i = 0; i < types.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      encoders[i]->encode(mel.data(), 1, out.data());
      const double el =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (r > 0) ms[i].push_back(el);
    }
  size_t best = 0;
  double best_ms = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    std::sort(ms[i].begin(), ms[i].end());
    const double med = ms[i][ms[i].size() / 2];
    if (i == 0 || med < best_ms) best = i, best_ms = med;
  }
  return types[best];
}

}  // namespace

ComputeType resolve_compute_type(ComputeType requested, const ModelConfig& config, int threads) {
  if (requested != ComputeType::Auto) return requested;
  if (threads <= 0) threads = cpu_threads_default();
  static std::mutex mu;
  static std::map<std::string, ComputeType> memo;
  const std::string key = cache_key(config, threads);
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = memo.find(key); it != memo.end()) return it->second;

  const std::filesystem::path file = cache_file();
  nlohmann::json cache = read_cache(file);
  ComputeType chosen = ComputeType::Auto;
  if (cache.contains(key) && cache[key].is_string()) {
    try {
      chosen = parse_compute_type(cache[key].get<std::string>());
      const auto runnable = runnable_types();
      if (std::find(runnable.begin(), runnable.end(), chosen) == runnable.end())
        chosen = ComputeType::Auto;  // a stale entry: measure again
    } catch (const Error&) {
      chosen = ComputeType::Auto;
    }
  }
  if (chosen == ComputeType::Auto) {
    chosen = measure_fastest(config, threads);
    if (!file.empty()) {  // best effort: a read-only home only costs a re-measure next time
      cache[key] = std::string(compute_type_name(chosen));
      std::error_code ec;
      std::filesystem::create_directories(file.parent_path(), ec);
      const std::filesystem::path tmp = file.string() + ".tmp" + std::to_string(::getpid());
      if (std::ofstream o(tmp); o && (o << cache.dump(2) << '\n'))
        std::filesystem::rename(tmp, file, ec);
      std::filesystem::remove(tmp, ec);
    }
  }
  memo[key] = chosen;
  return chosen;
}

}  // namespace tessera
