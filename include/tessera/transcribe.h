// Long-form transcription: openai-whisper's transcribe() (whisper/transcribe.py) on tessera's
// encoder and decoder, plus a batched mode that decodes many independent 30 s windows together.
//
// Sequential mode (the default) is openai-whisper's seek loop: the whole-file log-mel (with 30 s of
// zero padding, streamed: see LogMelStream in tessera/mel.h), a 3000-frame window at `seek`, decode
// with temperature fallback, the no-speech skip, segments from consecutive timestamp tokens, seek
// moved to the last complete timestamp, conditioning on the previous text. Word timestamps and
// hallucination_silence_threshold are not implemented.
//
// Batched mode cuts the audio into independent windows of at most 30 s (at the quietest point near
// each boundary, so words are not cut), encodes them `batch_size` at a time and decodes them
// together, without conditioning on previous text; where the model stops before a window's end,
// the rest of that window is decoded again from its last timestamp in the next batch. Faster on
// long files; segments never overlap.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tessera/audio.h"
#include "tessera/decoding.h"
#include "tessera/encoder.h"
#include "tessera/model.h"
#include "tessera/transcript.h"

namespace tessera {

struct TranscribeOptions {
  // task, language ("" = detect on multilingual models, "en" on English-only ones), beam_size,
  // best_of, patience, length_penalty, suppress_tokens, without_timestamps, ... The temperature and
  // prompt fields are set by the loop.
  DecodingOptions decode;
  // Temperature fallback (transcribe.py's temperature tuple and thresholds).
  FallbackOptions fallback;
  bool condition_on_previous_text = true;
  std::optional<std::string> initial_prompt;
  bool carry_initial_prompt = false;
  // "start,end,start,end,..." in seconds; the last end defaults to the end of the audio.
  std::string clip_timestamps = "0";

  // Windows whose log-mel is all at the value digital silence gets (everything 80 dB or more below
  // the file's peak) are skipped as no-speech without running the model. openai-whisper runs the
  // model on them and (almost always) drops them through its no-speech check; this keeps an hour
  // of silence from costing an hour's worth of encoder work.
  bool skip_digital_silence = true;

  bool batched = false;
  int batch_size = 8;  // windows encoded and decoded together in batched mode

  // Called after each window with (frames done, content frames).
  std::function<void(long long done, long long total)> on_progress;
  // Called with each window's new segments, in order (openai-whisper's verbose printing).
  std::function<void(std::span<const Segment>)> on_segments;
};

// Where the wall time of one transcription went, in milliseconds.
struct TranscribeTimings {
  double audio_ms = 0;    // reading and decoding the audio (both passes over the stream)
  double mel_ms = 0;      // log-mel frames (both passes over the stream)
  double encoder_ms = 0;  // Encoder::encode
  double decoder_ms = 0;  // language detection and decoding (with fallback)
  double total_ms = 0;    // everything; total - the above = the rest (window cuts, segments...)
  double audio_seconds = 0;
  int windows = 0;         // 30 s windows encoded
  int fallbacks = 0;       // windows whose kept result came from a temperature above the first
  int silent_windows = 0;  // windows skipped as digital silence without running the model
  double other_ms() const { return total_ms - audio_ms - mel_ms - encoder_ms - decoder_ms; }
};

struct TranscriberOptions {
  ComputeType compute_type = ComputeType::F32;
  int threads = 0;    // 0: physical cores
  int max_batch = 1;  // most windows encoded/decoded together (batched mode's batch_size)
  int max_group = 5;  // most beams or samples per window
  // Diagnostics: run the decoder at another compute type than the encoder (unset: the same), to
  // tell which half an accuracy difference between compute types comes from.
  std::optional<ComputeType> decoder_compute_type;
};

// A model's encoder and decoding session, set up once and reused for many files. Not thread-safe.
class Transcriber {
 public:
  Transcriber(std::shared_ptr<const Model> model, TranscriberOptions options = {});
  ~Transcriber();
  Transcriber(const Transcriber&) = delete;
  Transcriber& operator=(const Transcriber&) = delete;

  const Model& model() const;
  const Tokenizer& tokenizer() const;
  const TranscriberOptions& options() const;

  // Transcribes a file (any format load_audio reads), streamed: it is decoded twice, block by
  // block (the log-mel's normalization needs the file's peak first), and never held whole, so
  // memory does not grow with its length. Throws tessera::Error naming the file on unreadable
  // input.
  TranscriptionResult transcribe_file(const std::string& path, const TranscribeOptions& options,
                                      TranscribeTimings* timings = nullptr);
  // 16 kHz mono samples.
  TranscriptionResult transcribe(std::span<const float> audio, const TranscribeOptions& options,
                                 TranscribeTimings* timings = nullptr);
  // A stream of 16 kHz mono samples; `open` is called twice and must give the same samples.
  TranscriptionResult transcribe_source(const std::function<std::unique_ptr<AudioSource>()>& open,
                                        const TranscribeOptions& options,
                                        TranscribeTimings* timings = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience: loads the model folder and transcribes one file.
TranscriptionResult transcribe(const std::string& model_dir, const std::string& audio_path,
                               const TranscribeOptions& options = {},
                               TranscriberOptions transcriber_options = {});

}  // namespace tessera
