// `tessera transcribe -m DIR FILE...`: long-form transcription to txt/srt/vtt/tsv/json.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "tessera/error.h"
#include "tessera/model.h"
#include "tessera/transcribe.h"
#include "text/output_formats.h"

namespace tessera::cli {

namespace {

struct TranscribeArgs {
  std::string model;
  std::vector<std::string> files;
  std::string language = "auto";
  std::string task = "transcribe";
  int beam_size = 5;
  int best_of = 5;
  std::optional<float> patience;
  std::optional<float> length_penalty;
  std::string temperature = "0,0.2,0.4,0.6,0.8,1.0";
  std::string compression_ratio_threshold = "2.4";
  std::string logprob_threshold = "-1.0";
  std::string no_speech_threshold = "0.6";
  std::optional<std::string> initial_prompt;
  bool carry_initial_prompt = false;
  bool no_condition = false;
  bool without_timestamps = false;
  std::string suppress_tokens = "-1";
  std::string clip_timestamps = "0";
  std::string compute_type = "auto";
  std::string decoder_compute_type;  // diagnostics: empty = compute_type
  int threads = 0;
  bool decode_digital_silence = false;
  bool batched = false;
  int batch_size = 8;
  std::string formats = "txt";
  std::string output_dir;
  bool verbose = false;
};

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double parse_number(const std::string& text, const char* what) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v))
    throw Error(std::string("--") + what + ": '" + text + "' is not a number");
  return v;
}

// A threshold, or "none" to turn the check off (openai-whisper's optional_float).
std::optional<double> parse_threshold(const std::string& text, const char* what) {
  if (text == "none" || text == "None") return std::nullopt;
  return parse_number(text, what);
}

std::vector<float> parse_temperatures(const std::string& list) {
  std::vector<float> out;
  size_t pos = 0;
  for (;;) {
    const size_t comma = list.find(',', pos);
    const std::string item =
        list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const double t = parse_number(item, "temperature");
    if (t < 0) throw Error("--temperature: " + item + " is negative");
    out.push_back(static_cast<float>(t));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

TranscribeOptions make_options(const TranscribeArgs& a) {
  TranscribeOptions o;
  DecodingOptions& d = o.decode;
  if (a.task == "transcribe")
    d.task = Task::Transcribe;
  else if (a.task == "translate")
    d.task = Task::Translate;
  else
    throw Error("--task: expected transcribe or translate, got '" + a.task + "'");
  d.language = a.language == "auto" ? "" : a.language;
  if (a.beam_size < 1 || a.beam_size > 64) throw Error("--beam-size must be in 1..64");
  if (a.best_of < 1 || a.best_of > 64) throw Error("--best-of must be in 1..64");
  if (a.beam_size > 1) d.beam_size = a.beam_size;  // 1: greedy decoding
  if (a.best_of > 1) d.best_of = a.best_of;
  if (a.patience) {
    if (a.beam_size <= 1) throw Error("--patience needs --beam-size > 1");
    d.patience = a.patience;
  }
  d.length_penalty = a.length_penalty;
  d.without_timestamps = a.without_timestamps;
  d.suppress_tokens = a.suppress_tokens;
  o.fallback.temperatures = parse_temperatures(a.temperature);
  o.fallback.compression_ratio_threshold =
      parse_threshold(a.compression_ratio_threshold, "compression-ratio-threshold");
  o.fallback.logprob_threshold = parse_threshold(a.logprob_threshold, "logprob-threshold");
  o.fallback.no_speech_threshold = parse_threshold(a.no_speech_threshold, "no-speech-threshold");
  o.condition_on_previous_text = !a.no_condition;
  o.initial_prompt = a.initial_prompt;
  o.carry_initial_prompt = a.carry_initial_prompt;
  o.clip_timestamps = a.clip_timestamps;
  o.skip_digital_silence = !a.decode_digital_silence;
  o.batched = a.batched;
  if (a.batch_size < 1 || a.batch_size > 256) throw Error("--batch-size must be in 1..256");
  o.batch_size = a.batch_size;
  return o;
}

// "[#####.....]  45%  0:57 / 2:07 of gb0.wav" redrawn in place on a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string name) : name_(std::move(name)) {}
  void update(long long done, long long total) {
    const double frac = total > 0 ? std::clamp(double(done) / double(total), 0.0, 1.0) : 1.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    std::fprintf(stderr, "\r[%s] %3d%%  %s / %s  %s", bar.c_str(), static_cast<int>(frac * 100),
                 clock(done / 100).c_str(), clock(total / 100).c_str(), name_.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  void clear() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  static std::string clock(long long s) {
    char buf[32];
    if (s >= 3600)
      std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
      std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    return buf;
  }
  std::string name_;
  bool drawn_ = false;
};

void print_summary(const std::string& name, const TranscribeTimings& t) {
  const double wall = t.total_ms / 1000.0;
  std::fprintf(stderr,
               "tessera: %s: %.1f s of audio in %.2f s (%.1fx realtime); audio decode %.2f s, "
               "mel %.2f s, encoder %.2f s, decoder %.2f s, other %.2f s; %d windows encoded, "
               "%d fallbacks, %d silent windows skipped\n",
               name.c_str(), t.audio_seconds, wall, wall > 0 ? t.audio_seconds / wall : 0.0,
               t.audio_ms / 1000.0, t.mel_ms / 1000.0, t.encoder_ms / 1000.0, t.decoder_ms / 1000.0,
               std::max(0.0, t.other_ms()) / 1000.0, t.windows, t.fallbacks, t.silent_windows);
}

void emit(const TranscriptionResult& r, const std::vector<OutputFormat>& formats,
          const TranscribeArgs& a, const std::string& file) {
  if (a.output_dir.empty()) {
    const auto txt = std::find(formats.begin(), formats.end(), OutputFormat::Txt);
    write_result(txt != formats.end() ? *txt : formats.front(), r, std::cout);
    std::cout.flush();
    return;
  }
  for (OutputFormat f : formats) write_result_file(f, r, a.output_dir, file);
}

void run_transcribe(const TranscribeArgs& a) {
  TranscribeOptions options = make_options(a);
  const std::vector<OutputFormat> formats = parse_output_formats(a.formats);
  if (!a.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.output_dir, ec);
    if (ec) throw Error(a.output_dir + ": cannot create the output folder: " + ec.message());
  }

  const auto t_load = std::chrono::steady_clock::now();
  TranscriberOptions topt;
  topt.compute_type = parse_compute_type(a.compute_type);
  if (!a.decoder_compute_type.empty())
    topt.decoder_compute_type = parse_compute_type(a.decoder_compute_type);
  topt.threads = a.threads;
  topt.max_batch = a.batched ? a.batch_size : 1;
  topt.max_group = std::max(a.beam_size, a.best_of);
  const std::shared_ptr<const Model> model = Model::load(a.model);
  // Resolve "auto" here (measured once per machine, then cached) so the summary names the type run.
  topt.compute_type = resolve_compute_type(topt.compute_type, model->config, topt.threads);
  Transcriber transcriber(model, topt);
  const double load_ms = ms_since(t_load);

  const bool tty = isatty(fileno(stderr)) != 0;
  if (a.verbose) {
    options.on_segments = [](std::span<const Segment> segments) {
      for (const Segment& s : segments)
        std::fprintf(stderr, "[%s --> %s] %s\n", format_timestamp(s.start).c_str(),
                     format_timestamp(s.end).c_str(), s.text.c_str());
    };
  }

  int failed = 0;
  TranscribeTimings sum;
  for (const std::string& file : a.files) {
    ProgressBar bar(std::filesystem::path(file).filename().string());
    if (tty && !a.verbose)
      options.on_progress = [&bar](long long done, long long total) { bar.update(done, total); };
    try {
      TranscribeTimings t;
      const TranscriptionResult r = transcriber.transcribe_file(file, options, &t);
      bar.clear();
      if (a.verbose)
        std::fprintf(stderr, "tessera: %s: language %s\n", file.c_str(), r.language.c_str());
      emit(r, formats, a, file);
      print_summary(file, t);
      sum.audio_seconds += t.audio_seconds;
      sum.audio_ms += t.audio_ms;
      sum.mel_ms += t.mel_ms;
      sum.encoder_ms += t.encoder_ms;
      sum.decoder_ms += t.decoder_ms;
      sum.total_ms += t.total_ms;
      sum.windows += t.windows;
      sum.fallbacks += t.fallbacks;
      sum.silent_windows += t.silent_windows;
    } catch (const std::exception& e) {
      bar.clear();
      const std::string what = e.what();
      // Name the file even when the cause (e.g. a decoder error) does not.
      if (what.find(file) == std::string::npos)
        std::fprintf(stderr, "tessera: error: %s: %s\n", file.c_str(), what.c_str());
      else
        std::fprintf(stderr, "tessera: error: %s\n", what.c_str());
      ++failed;
    }
  }
  const int succeeded = static_cast<int>(a.files.size()) - failed;
  if (succeeded > 1) print_summary(std::to_string(succeeded) + " files", sum);
  std::fprintf(stderr, "tessera: model load %.2f s, compute type %s, %s mode\n", load_ms / 1000.0,
               (std::string(compute_type_name(topt.compute_type)) +
                (a.compute_type == "auto" ? " (auto)" : ""))
                   .c_str(),
               a.batched ? "batched" : "sequential");
  if (failed > 0)
    throw Error(std::to_string(failed) + " of " + std::to_string(a.files.size()) +
                " file(s) could not be transcribed");
}

}  // namespace

void add_transcribe_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("transcribe", "Transcribe audio files (any format FFmpeg reads)");
  auto a = std::make_shared<TranscribeArgs>();
  cmd->add_option("-m,--model", a->model, "Model folder")->required();
  cmd->add_option("files", a->files, "Audio files")->required();
  cmd->add_option("-l,--language", a->language, "Language code or name, or auto (detect)");
  cmd->add_option("--task", a->task, "transcribe or translate (to English)");
  cmd->add_option("--beam-size", a->beam_size, "Beams at temperature 0 (1: greedy)");
  cmd->add_option("--best-of", a->best_of, "Samples per window at temperature > 0");
  cmd->add_option("--patience", a->patience, "Beam search patience");
  cmd->add_option("--length-penalty", a->length_penalty,
                  "Length penalty alpha (default: 1/length)");
  cmd->add_option("--temperature", a->temperature,
                  "Temperatures tried in turn on fallback, comma-separated");
  cmd->add_option("--compression-ratio-threshold", a->compression_ratio_threshold,
                  "Fall back above this gzip ratio (none: off)");
  cmd->add_option("--logprob-threshold", a->logprob_threshold,
                  "Fall back below this average log-probability (none: off)");
  cmd->add_option("--no-speech-threshold", a->no_speech_threshold,
                  "Skip windows whose no-speech probability is above this (none: off)");
  cmd->add_option("--initial-prompt", a->initial_prompt, "Text to prompt the first window with");
  cmd->add_flag("--carry-initial-prompt", a->carry_initial_prompt,
                "Prepend the initial prompt to every window's prompt");
  cmd->add_flag("--no-condition-on-previous-text", a->no_condition,
                "Do not prompt each window with the previous text");
  cmd->add_flag("--without-timestamps", a->without_timestamps, "Decode without timestamp tokens");
  cmd->add_option("--suppress-tokens", a->suppress_tokens, "Token ids to suppress (-1: symbols)");
  cmd->add_option("--clip-timestamps", a->clip_timestamps,
                  "start,end,... seconds of the parts to transcribe");
  cmd->add_option("--compute-type", a->compute_type, "auto, fp32, bf16 or int8");
  cmd->add_option("--decoder-compute-type", a->decoder_compute_type,
                  "Diagnostics: the decoder's compute type, when it differs from --compute-type");
  cmd->add_option("--threads", a->threads, "Threads (default: physical cores)");
  cmd->add_flag("--decode-digital-silence", a->decode_digital_silence,
                "Run the model on all-silent windows too (openai-whisper does)");
  cmd->add_flag("--batched", a->batched, "Decode independent 30 s windows in batches");
  cmd->add_option("--batch-size", a->batch_size, "Windows per batch in batched mode");
  cmd->add_option("-f,--output-format", a->formats, "txt, vtt, srt, tsv, json, a list, or all");
  cmd->add_option("-o,--output-dir", a->output_dir, "Write FILE.EXT here (default: stdout)");
  cmd->add_flag("--verbose", a->verbose, "Print segments as they are decoded");
  cmd->callback([a] { run_transcribe(*a); });
}

}  // namespace tessera::cli
