// The Whisper text decoder: token + positional embeddings, pre-LayerNorm blocks of masked
// self-attention (with a KV cache), cross-attention over one 30 s window's encoder output, MLP, and
// logits through the token embedding.
//
// One Decoder runs many token sequences at once (beams x windows). Each sequence has a
// self-attention KV cache of n_text_ctx rows per layer, and is bound to a window slot whose
// cross-attention keys/values are computed once by set_audio() and shared by all of that window's
// sequences. Everything is allocated at construction for the configured maxima; step(),
// set_audio() and reorder() allocate nothing.
//
// Not thread-safe: one caller at a time (the work inside a call is spread over the thread pool).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tessera/dtype.h"
#include "tessera/encoder.h"
#include "tessera/model.h"

namespace tessera {

struct DecoderOptions {
  ComputeType compute_type = ComputeType::F32;
  int threads = 0;        // 0: physical cores
  int max_windows = 1;    // window slots (cross-attention K/V sets)
  int max_sequences = 1;  // sequence slots (self-attention KV caches)
  // Most token rows one pass through the layers takes; a step() with more tokens is run in
  // chunks of this many rows. 0 picks max(max_sequences, 2 * n_text_ctx).
  int max_step_tokens = 0;
  // Element type of the self- and cross-attention keys/values: F32 or F16 (half the memory
  // traffic of cross-attention, which dominates batched decoding), or I8 (a quarter of F32's:
  // symmetric int8 with one scale per position and head). Unset: F32 for the fp32 compute type,
  // I8 for int8 (batched decoding reads every window's cross-attention cache each step: at 1
  // byte per element that traffic is no longer the largest), F16 otherwise.
  std::optional<DType> cache_dtype;
};

// Wall time per stage, summed over all calls since construction (or reset_stats()).
struct DecoderStageMs {
  double cross_kv = 0;         // set_audio: cross-attention keys/values of a window
  double embed = 0;            // token + position embeddings
  double layer_norm = 0;       // all LayerNorms, including the final one
  double self_qkv = 0;         // fused q;k;v projection and KV-cache append
  double self_attention = 0;   // masked attention over the KV cache
  double self_out = 0;         // self-attention output projection + residual
  double cross_q = 0;          // cross-attention query projection
  double cross_attention = 0;  // attention over the window's encoder frames
  double cross_out = 0;        // cross-attention output projection + residual
  double mlp = 0;              // fc1 + GELU, fc2 + residual
  double logits = 0;           // projection onto the vocabulary
  double reorder = 0;          // KV-cache copies for beam reordering
};

struct DecoderStats {
  int64_t steps = 0;
  int64_t tokens = 0;       // tokens fed (rows through the layers)
  int64_t logit_rows = 0;   // rows projected onto the vocabulary
  int64_t windows_set = 0;  // set_audio calls
  DecoderStageMs stage_ms;
  double total_ms() const;
};

// One sequence's part of a step.
struct StepInput {
  int sequence = 0;             // sequence slot
  std::span<const int> tokens;  // new tokens, appended at positions length(sequence)...
  // >= 0: also return the logits at this index of `tokens` (openai-whisper reads the no-speech
  // probability at the sot position of the first step).
  int extra_logits_at = -1;
};

class Decoder {
 public:
  Decoder(std::shared_ptr<const Model> model, DecoderOptions options = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  const ModelConfig& config() const;
  const DecoderOptions& options() const;  // with max_step_tokens and threads resolved
  int n_vocab() const;
  int n_text_ctx() const;
  int d_model() const;
  ComputeType compute_type() const;

  // Computes window slot `window`'s cross-attention keys and values from its encoder output
  // (n_audio_ctx x d_model float32, row-major). Sequences bound to the slot see the new audio.
  void set_audio(int window, const float* encoder_output);

  // Empties sequence slot `sequence` (length 0) and binds it to window slot `window`.
  void bind(int sequence, int window);
  int length(int sequence) const;  // tokens in the sequence's KV cache
  int window_of(int sequence) const;

  // Feeds each input's tokens to its sequence and returns the logits, a row of n_vocab floats per
  // output: row i (i < inputs.size()) is input i's last token; then, in input order, one row per
  // input with extra_logits_at >= 0. The buffer is the decoder's own, valid (and writable, for
  // logit filters) until the next step(). Throws tessera::Error on a bad slot, a sequence given
  // twice, a token outside the vocabulary, or a sequence that would pass n_text_ctx.
  float* step(std::span<const StepInput> inputs);
  // Rows of the last step's output (inputs.size() plus extra rows).
  int output_rows() const;

  // Beam reordering: afterwards, sequence dst[i] holds what sequence src[i] held before the call
  // (cache, length and window). dst entries must be distinct; a src may repeat. Copies cache rows
  // only for repeated sources.
  void reorder(std::span<const int> dst, std::span<const int> src);

  DecoderStats stats() const;
  void reset_stats();
  // Bytes held by the KV caches and cross-attention K/V (for sizing max_windows/max_sequences).
  size_t cache_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera
