// `tessera mel`: the log-mel spectrogram of an audio file, as the encoder sees it.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "runtime/npy.h"
#include "tessera/audio.h"
#include "tessera/mel.h"

namespace tessera::cli {

namespace {

struct MelOptions {
  std::string audio;
  int n_mels = 80;
  bool whole = false;
  int offset = -1;  // with --whole: cut the 3000-frame window starting at this frame
  std::string npy;
};

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void run_mel(const MelOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<float> pcm = load_audio(o.audio);
  const double load_ms = ms_since(t0);

  MelFrontend frontend(o.n_mels);
  auto t1 = std::chrono::steady_clock::now();
  LogMel mel =
      o.whole ? frontend.whole(pcm.data(), pcm.size()) : frontend.window(pcm.data(), pcm.size());
  if (o.offset >= 0) {
    LogMel cut;
    cut.n_mels = mel.n_mels;
    cut.n_frames = kWindowFrames;
    cut.data.resize(static_cast<size_t>(cut.n_mels) * kWindowFrames);
    mel.cut_window(o.offset, cut.data.data());
    mel = std::move(cut);
  }
  const double mel_ms = ms_since(t1);

  if (!o.npy.empty()) write_npy(o.npy, mel.data.data(), {mel.n_mels, mel.n_frames});
  std::printf("audio: %s (%.2f s at 16 kHz, loaded in %.1f ms)\n", o.audio.c_str(),
              pcm.size() / double(kSampleRate), load_ms);
  std::printf("log-mel (%s): shape (%d, %d) in %.2f ms\n",
              o.offset >= 0 ? "window cut from whole"
              : o.whole     ? "whole"
                            : "window",
              mel.n_mels, mel.n_frames, mel_ms);
  if (!o.npy.empty()) std::printf("wrote %s\n", o.npy.c_str());
}

}  // namespace

void add_mel_command(CLI::App& app) {
  auto opts = std::make_shared<MelOptions>();
  CLI::App* cmd =
      app.add_subcommand("mel", "Compute Whisper's log-mel spectrogram of an audio file");
  cmd->add_option("-f,--file", opts->audio, "Audio file (any format FFmpeg reads)")->required();
  cmd->add_option("--n-mels", opts->n_mels, "Mel bins: 80, or 128 for large-v3")
      ->check(CLI::IsMember({80, 128}));
  cmd->add_flag("--whole", opts->whole,
                "Whole file plus 30 s of zeros (long-form input) instead of one 30 s window");
  cmd->add_option("--offset", opts->offset,
                  "With --whole: output the 3000-frame window starting at this frame")
      ->check(CLI::NonNegativeNumber)
      ->needs("--whole");
  cmd->add_option("--dump-npy", opts->npy, "Write the (n_mels, frames) float32 array as .npy");
  cmd->callback([opts] { run_mel(*opts); });
}

}  // namespace tessera::cli
