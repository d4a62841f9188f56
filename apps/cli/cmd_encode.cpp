// `tessera encode -m DIR -f AUDIO`: runs the encoder on the first 30 s window of a file.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "runtime/npy.h"
#include "runtime/process_stats.h"
#include "tessera/audio.h"
#include "tessera/encoder.h"
#include "tessera/mel.h"
#include "tessera/model.h"

namespace tessera::cli {
namespace {

struct EncodeArgs {
  std::string model, audio, compute_type = "auto", dump;
  int threads = 0;
  int repeat = 1;
};

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void run_encode(const EncodeArgs& a) {
  auto t0 = std::chrono::steady_clock::now();
  auto model = Model::load(a.model);
  EncoderOptions opts;
  opts.compute_type = parse_compute_type(a.compute_type);
  opts.threads = a.threads;
  Encoder encoder(model, opts);
  double load_ms = ms_since(t0);

  t0 = std::chrono::steady_clock::now();
  std::vector<float> audio = load_audio(a.audio);
  double audio_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  MelFrontend mel(model->config.n_mels);
  LogMel window = mel.window(audio.data(), audio.size());
  double mel_ms = ms_since(t0);

  std::vector<float> out(static_cast<size_t>(encoder.output_frames()) * encoder.d_model());
  std::vector<double> times;
  for (int i = 0; i < std::max(1, a.repeat); ++i) {
    t0 = std::chrono::steady_clock::now();
    encoder.encode(window.data.data(), 1, out.data());
    times.push_back(ms_since(t0));
  }
  std::sort(times.begin(), times.end());
  if (!a.dump.empty()) write_npy(a.dump, out.data(), {encoder.output_frames(), encoder.d_model()});
  std::printf("encoder output: %d x %d (float32)%s%s\n", encoder.output_frames(), encoder.d_model(),
              a.dump.empty() ? "" : " -> ", a.dump.c_str());
  std::printf("compute type: %s, threads: %d, kernels: %s\n",
              std::string(compute_type_name(encoder.compute_type())).c_str(),
              a.threads > 0 ? a.threads : cpu_threads_default(), encoder.kernel_summary().c_str());
  std::printf("audio: %.2f s (decode %.1f ms, mel %.1f ms), model load + pack %.1f ms\n",
              audio.size() / double(kSampleRate), audio_ms, mel_ms, load_ms);
  std::printf("encode: first %.1f ms, median %.1f ms over %zu run(s), min %.1f ms\n",
              times.size() == 1 ? times[0] : times.back(), times[times.size() / 2], times.size(),
              times.front());
  std::printf("peak resident memory: %.1f MB\n", peak_rss_mb());
}

}  // namespace

void add_encode_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("encode", "Run the encoder on the first 30 s window of an audio file");
  auto a = std::make_shared<EncodeArgs>();
  cmd->add_option("-m,--model", a->model, "Model folder")->required();
  cmd->add_option("-f,--file", a->audio, "Audio file")->required();
  cmd->add_option("--compute-type", a->compute_type, "auto, fp32, bf16 or int8");
  cmd->add_option("--threads", a->threads, "Threads (default: physical cores)");
  cmd->add_option("--repeat", a->repeat, "Encode the window this many times (timing)");
  cmd->add_option("--dump-npy", a->dump, "Write the encoder output (frames x d_model) as .npy");
  cmd->callback([a] { run_encode(*a); });
}

}  // namespace tessera::cli
