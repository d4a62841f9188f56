// `tessera bench-encoder`: encoder speed per configuration, one JSON line each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "commands.h"
#include "kernels/peak_probe.h"
#include "runtime/process_stats.h"
#include "tessera/audio.h"
#include "tessera/cpu_features.h"
#include "tessera/encoder.h"
#include "tessera/mel.h"
#include "tessera/model.h"

namespace tessera::cli {
namespace {

struct BenchArgs {
  std::string model;
  std::string audio;  // optional: benchmark on this file's first window instead of random values
  std::string compute_types = "auto";
  std::string threads = "0";
  std::string batches = "1";
  int runs = 5;
  int warmup = 1;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

void run_bench(const BenchArgs& a) {
  auto model = Model::load(a.model);
  const int n_mels = model->config.n_mels;
  std::vector<float> window(static_cast<size_t>(n_mels) * kWindowFrames);
  if (!a.audio.empty()) {
    std::vector<float> pcm = load_audio(a.audio);
    window = MelFrontend(n_mels).window(pcm.data(), pcm.size()).data;
  } else {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> dist(-1.0f, 1.5f);
    for (float& v : window) v = dist(rng);
  }

  for (const std::string& threads_s : split(a.threads)) {
    const int threads = std::stoi(threads_s) > 0 ? std::stoi(threads_s) : cpu_threads_default();
    const kernels::PeakProbe peak = kernels::measure_peak(threads);
    for (const std::string& ct : split(a.compute_types)) {
      for (const std::string& batch_s : split(a.batches)) {
        const int batch = std::stoi(batch_s);
        EncoderOptions opts{
            .compute_type = parse_compute_type(ct), .threads = threads, .max_batch = batch};
        Encoder enc(model, opts);
        std::vector<float> mel;
        for (int b = 0; b < batch; ++b) mel.insert(mel.end(), window.begin(), window.end());
        std::vector<float> out(static_cast<size_t>(batch) * enc.output_frames() * enc.d_model());
        for (int i = 0; i < a.warmup; ++i) enc.encode(mel.data(), batch, out.data());
        enc.reset_stats();
        std::vector<double> ms;
        for (int i = 0; i < std::max(1, a.runs); ++i) {
          auto t0 = std::chrono::steady_clock::now();
          enc.encode(mel.data(), batch, out.data());
          ms.push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count() /
              batch);
        }
        std::sort(ms.begin(), ms.end());
        const double median = ms[ms.size() / 2];
        const double gops = enc.ops_per_window() / (median * 1e6);
        const bool int8 = enc.compute_type() == ComputeType::Int8;
        // int8 runs its GEMMs as W8A16 (vpmaddwd on AVX2), so that is the peak it is held to.
        const double peak_gops = int8 ? peak.int16_gops : peak.fp32_gflops;
        const std::string peak_isa = peak.isa + (int8 ? " vpmaddwd s16" : " fma fp32");
        const EncoderStats st = enc.stats();
        const double per = 1.0 / (static_cast<double>(st.windows));
        nlohmann::json j = {
            {"model", model->config.family_name()},
            {"cpu", cpu_features().brand},
            {"cpu_features", cpu_features().summary()},
            {"compute_type", compute_type_name(enc.compute_type())},
            {"threads", threads},
            {"batch", batch},
            {"runs", ms.size()},
            {"ms_per_window", median},
            {"ms_min", ms.front()},
            {"ms_max", ms.back()},
            {"realtime_factor", 30000.0 / median},
            {"gop_per_window", enc.ops_per_window() / 1e9},
            {"achieved_gops", gops},
            {"peak_isa", peak_isa},
            {"peak_gops", peak_gops},
            {"peak_fraction", peak_gops > 0 ? gops / peak_gops : 0},
            {"stages_ms_per_window",
             {{"conv_stem", st.stage_ms.conv_stem * per},
              {"layer_norm", st.stage_ms.layer_norm * per},
              {"qkv", st.stage_ms.qkv * per},
              {"attention", st.stage_ms.attention * per},
              {"out_proj", st.stage_ms.out_proj * per},
              {"mlp", st.stage_ms.mlp * per},
              {"other", st.stage_ms.other * per}}},
            {"kernels", enc.kernel_summary()},
            {"kernel_image_mb", static_cast<double>(enc.weight_bytes()) / (1 << 20)},
            {"peak_rss_mb", peak_rss_mb()},
        };
        std::printf("%s\n", j.dump().c_str());
        std::fflush(stdout);
      }
    }
  }
}

}  // namespace

void add_bench_encoder_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench-encoder",
                                 "Benchmark the encoder; prints one JSON line per configuration");
  auto a = std::make_shared<BenchArgs>();
  cmd->add_option("-m,--model", a->model, "Model folder")->required();
  cmd->add_option("-f,--file", a->audio,
                  "Audio file whose first 30 s window is encoded (default: random mel)");
  cmd->add_option("--compute-type", a->compute_types, "Comma-separated: auto, fp32, bf16, int8");
  cmd->add_option("--threads", a->threads, "Comma-separated thread counts (0: physical cores)");
  cmd->add_option("--batch", a->batches, "Comma-separated windows per call (1..64)");
  cmd->add_option("--runs", a->runs, "Timed runs per configuration (median reported)");
  cmd->add_option("--warmup", a->warmup, "Untimed runs first");
  cmd->callback([a] { run_bench(*a); });
}

}  // namespace tessera::cli
