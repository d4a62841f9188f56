// DecodingSession: openai-whisper's DecodingTask.run over many windows at once. Each round binds
// up to max_windows windows (and their beams or samples) to the decoder and steps them together;
// a window leaves the batch when its search completes.
#include "tessera/decoding.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "decoder/decoding_task.h"
#include "decoder/token_search.h"
#include "decoder/vector_math.h"
#include "tessera/error.h"

namespace tessera {

using decoder::TaskSetup;
using decoder::TokenSearch;

double compression_ratio(std::string_view text) {
  uLongf bound = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> out(bound);
  if (compress2(out.data(), &bound, reinterpret_cast<const Bytef*>(text.data()),
                static_cast<uLong>(text.size()), Z_DEFAULT_COMPRESSION) != Z_OK)
    throw Error("compression_ratio: zlib compress2 failed");
  return static_cast<double>(text.size()) / static_cast<double>(bound);
}

struct DecodingSession::Impl {
  enum class Phase { Free, Detect, Prefill, Decode, Done };
  struct Task {
    const DecodingJob* job = nullptr;
    size_t job_index = 0;
    Phase phase = Phase::Free;
    TaskSetup setup;
    TokenSearch search;
    int window = 0;
    int seq0 = 0;
    int steps = 0;
    bool sot_cached = false;  // language detection left the sot in the leader's cache
    double no_speech_prob = std::numeric_limits<double>::quiet_NaN();
    std::vector<LanguageProbability> language_probs;
    std::vector<float*> rows;  // per member, this step's logits
    std::vector<int> dst, src;
  };

  std::shared_ptr<const Model> model;
  Tokenizer tok;
  DecodingSessionOptions opt;
  Decoder dec;
  int n_vocab;
  std::vector<float> scratch;
  std::vector<Task> tasks;
  std::vector<StepInput> inputs;
  std::vector<int> input_task, input_member;
  std::vector<int> sot_token;

  Impl(std::shared_ptr<const Model> m, Tokenizer t, DecodingSessionOptions o)
      : model(std::move(m)),
        tok(std::move(t)),
        opt(o),
        dec(model, make_decoder_options(*model, o)),
        n_vocab(dec.n_vocab()),
        scratch(static_cast<size_t>(n_vocab)),
        tasks(o.max_windows) {
    if (tok.n_vocab() != n_vocab)
      throw Error("DecodingSession: tokenizer vocabulary " + std::to_string(tok.n_vocab()) +
                  " does not match the model's " + std::to_string(n_vocab));
    const size_t seqs = dec.options().max_sequences;
    inputs.reserve(seqs);
    input_task.reserve(seqs);
    input_member.reserve(seqs);
    for (Task& task : tasks) {
      task.rows.reserve(o.max_group);
      task.dst.reserve(o.max_group);
      task.src.reserve(o.max_group);
    }
    sot_token = {tok.sot()};
  }

  static DecoderOptions make_decoder_options(const Model& m, const DecodingSessionOptions& o) {
    if (o.max_windows < 1 || o.max_windows > 1024)
      throw Error("DecodingSession: max_windows must be in 1..1024, got " +
                  std::to_string(o.max_windows));
    if (o.max_group < 1 || o.max_group > 64)
      throw Error("DecodingSession: max_group must be in 1..64, got " +
                  std::to_string(o.max_group));
    (void)m;
    return {.compute_type = o.compute_type,
            .threads = o.threads,
            .max_windows = o.max_windows,
            .max_sequences = o.max_windows * o.max_group,
            .cache_dtype = o.cache_dtype};
  }

  // ---- language detection ---------------------------------------------------------------------

  // Language probabilities from a row of logits at <|startoftranscript|> (row is overwritten).
  std::vector<LanguageProbability> language_probs(float* row) {
    const std::vector<int> lang_tokens = tok.all_language_tokens();
    const std::vector<std::string_view> codes = tok.all_language_codes();
    std::vector<float> v(lang_tokens.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = row[lang_tokens[i]];
    decoder::softmax_inplace(v.data(), static_cast<int64_t>(v.size()));
    std::vector<LanguageProbability> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = {std::string(codes[i]), v[i]};
    return out;
  }

  static size_t most_probable(const std::vector<LanguageProbability>& probs) {
    size_t best = 0;
    for (size_t i = 1; i < probs.size(); ++i)
      if (probs[i].probability > probs[best].probability) best = i;
    return best;
  }

  std::vector<std::vector<LanguageProbability>> detect_language(
      std::span<const float* const> features) {
    if (!tok.is_multilingual())
      throw Error("detect_language: this model doesn't have language tokens (English-only)");
    std::vector<std::vector<LanguageProbability>> out;
    for (size_t begin = 0; begin < features.size(); begin += opt.max_windows) {
      const int n = static_cast<int>(std::min<size_t>(opt.max_windows, features.size() - begin));
      inputs.clear();
      for (int i = 0; i < n; ++i) {
        dec.set_audio(i, features[begin + i]);
        dec.bind(i, i);
        inputs.push_back({.sequence = i, .tokens = sot_token});
      }
      float* logits = dec.step(inputs);
      for (int i = 0; i < n; ++i)
        out.push_back(language_probs(logits + static_cast<size_t>(i) * n_vocab));
    }
    return out;
  }

  // ---- decoding -------------------------------------------------------------------------------
  //
  // Continuous batching: every window slot holds one job at a time and goes through
  // Detect (a lone sot, when the language is to be detected) -> Prefill (the whole initial token
  // list, one sequence for the still identical group) -> Decode (one token per live sequence).
  // A slot that finishes takes the next job at the next step, so the batch stays full.

  std::vector<DecodingResult> decode(std::span<const DecodingJob> jobs) {
    // Every job's options are checked before any work.
    std::vector<TaskSetup> setups;
    setups.reserve(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!jobs[i].audio_features)
        throw Error("decode: job " + std::to_string(i) + " has no audio features");
      setups.push_back(decoder::make_task_setup(jobs[i].options, tok, model->config));
      if (setups.back().n_group > opt.max_group)
        throw Error("decode: job " + std::to_string(i) + " has " +
                    std::to_string(setups.back().n_group) +
                    " beams/samples per window, more than the session's max_group " +
                    std::to_string(opt.max_group));
    }
    std::vector<DecodingResult> results(jobs.size());
    for (Task& t : tasks) t.phase = Phase::Free;
    size_t next = 0;
    int live = 0;
    for (;;) {
      for (int slot = 0; slot < opt.max_windows && next < jobs.size(); ++slot) {
        if (tasks[slot].phase != Phase::Free) continue;
        start(tasks[slot], slot, jobs[next], std::move(setups[next]), next);
        ++next;
        ++live;
      }
      if (live == 0) break;
      step_all();
      for (Task& t : tasks)
        if (t.phase == Phase::Done) {
          results[t.job_index] = finish(t);
          t.phase = Phase::Free;
          --live;
        }
    }
    return results;
  }

  void start(Task& t, int slot, const DecodingJob& job, TaskSetup setup, size_t index) {
    t.job = &job;
    t.job_index = index;
    t.setup = std::move(setup);
    t.window = slot;
    t.seq0 = slot * opt.max_group;
    t.steps = 0;
    t.sot_cached = false;
    t.no_speech_prob = std::numeric_limits<double>::quiet_NaN();
    t.language_probs.clear();
    dec.set_audio(t.window, job.audio_features);
    for (int k = 0; k < t.setup.n_group; ++k) dec.bind(t.seq0 + k, t.window);
    if (t.setup.detect_language) {
      t.phase = Phase::Detect;
    } else {
      t.phase = Phase::Prefill;
      t.search.reset(t.setup.search, t.setup.initial_tokens);
    }
  }

  // One decoder step over every live slot, then each slot's next move.
  void step_all() {
    inputs.clear();
    input_task.clear();
    input_member.clear();
    for (int i = 0; i < opt.max_windows; ++i) {
      Task& t = tasks[i];
      switch (t.phase) {
        case Phase::Detect:
          add_input({.sequence = t.seq0, .tokens = sot_token}, i, -1);
          break;
        case Phase::Prefill: {
          std::span<const int> toks = t.setup.initial_tokens;
          if (t.sot_cached) toks = toks.subspan(1);
          add_input({.sequence = t.seq0,
                     .tokens = toks,
                     .extra_logits_at = t.sot_cached ? -1 : t.setup.sot_index},
                    i, -1);
          break;
        }
        case Phase::Decode:
          for (int k = 0; k < t.setup.n_group; ++k) {
            if (!t.search.active(k)) continue;
            const std::span<const int> toks = t.search.tokens(k);
            add_input({.sequence = t.seq0 + k, .tokens = toks.subspan(toks.size() - 1)}, i, k);
          }
          t.rows.assign(t.setup.n_group, nullptr);
          break;
        default:
          break;
      }
    }
    float* logits = dec.step(inputs);
    size_t extra_row = inputs.size();
    for (size_t r = 0; r < inputs.size(); ++r) {
      Task& t = tasks[input_task[r]];
      float* row = logits + r * n_vocab;
      const float* extra =
          inputs[r].extra_logits_at >= 0 ? logits + extra_row++ * n_vocab : nullptr;
      switch (t.phase) {
        case Phase::Detect:
          detected(t, row);
          break;
        case Phase::Prefill:
          if (extra) t.no_speech_prob = no_speech_prob(extra);
          t.setup.filters.apply(row, t.search.tokens(0), scratch.data());
          t.rows.assign(t.setup.n_group, row);  // the group is identical until the first update
          t.phase = Phase::Decode;
          advance(t);
          break;
        case Phase::Decode:
          if (input_member[r] < 0) break;  // advanced from Prefill in this very step
          t.setup.filters.apply(row, t.search.tokens(input_member[r]), scratch.data());
          t.rows[input_member[r]] = row;
          break;
        default:
          break;
      }
    }
    for (size_t r = 0; r < inputs.size(); ++r) {
      // Each decoding slot advances once, after all its members' rows are filtered.
      Task& t = tasks[input_task[r]];
      if (t.phase == Phase::Decode && input_member[r] >= 0 &&
          (r + 1 == inputs.size() || input_task[r + 1] != input_task[r]))
        advance(t);
    }
  }

  void add_input(const StepInput& in, int task, int member) {
    inputs.push_back(in);
    input_task.push_back(task);
    input_member.push_back(member);
  }

  // Picks the next tokens of a window, moves caches for beams, decides whether it is done.
  void advance(Task& t) {
    t.search.update(t.rows, n_vocab, scratch.data());
    ++t.steps;
    const std::span<const int> sources = t.search.sources();
    if (!sources.empty()) {
      t.dst.clear();
      t.src.clear();
      bool identity = true;
      for (size_t k = 0; k < sources.size(); ++k) {
        t.dst.push_back(t.seq0 + static_cast<int>(k));
        t.src.push_back(t.seq0 + sources[k]);
        identity = identity && sources[k] == static_cast<int>(k);
      }
      if (!identity) dec.reorder(t.dst, t.src);
    }
    if (t.search.completed() || t.search.length() > dec.n_text_ctx() ||
        t.steps >= t.setup.sample_len)
      t.phase = Phase::Done;
  }

  double no_speech_prob(const float* row) {
    std::copy(row, row + n_vocab, scratch.data());
    decoder::softmax_inplace(scratch.data(), n_vocab);
    return scratch[tok.no_speech()];
  }

  // The language from the logits after a lone sot, as openai-whisper's detect_language does.
  // When sot starts the initial tokens, that pass is also the start of the real one (causal
  // attention): the leader keeps the sot in its cache and the no-speech probability is read here.
  void detected(Task& t, float* row) {
    if (t.setup.sot_index == 0) {
      t.no_speech_prob = no_speech_prob(row);
      t.sot_cached = true;
    } else {
      dec.bind(t.seq0, t.window);
    }
    t.language_probs = language_probs(row);
    const size_t best = most_probable(t.language_probs);
    t.setup.language = t.language_probs[best].code;
    t.setup.initial_tokens[t.setup.sot_index + 1] = tok.language_token(t.setup.language);
    t.search.reset(t.setup.search, t.setup.initial_tokens);
    t.phase = Phase::Prefill;
  }

  DecodingResult finish(const Task& t) {
    TokenSearch::Choice c = t.search.finalize();
    DecodingResult r;
    r.language = t.setup.language;
    r.language_probs = t.language_probs;
    r.tokens = std::move(c.tokens);
    r.text = decoder::python_strip(tok.decode(r.tokens));
    r.sum_logprob = c.sum_logprob;
    r.avg_logprob = static_cast<double>(c.sum_logprob) / static_cast<double>(r.tokens.size() + 1);
    r.no_speech_prob = t.no_speech_prob;
    r.temperature = t.job->options.temperature;
    r.compression_ratio = compression_ratio(r.text);
    return r;
  }

  // ---- fallback -------------------------------------------------------------------------------

  std::vector<DecodingResult> decode_with_fallback(std::span<const DecodingJob> jobs,
                                                   const FallbackOptions& fb) {
    if (fb.temperatures.empty()) throw Error("decode_with_fallback: no temperatures");
    std::vector<DecodingResult> results(jobs.size());
    std::vector<size_t> pending(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) pending[i] = i;
    std::vector<std::string> languages(jobs.size());
    std::vector<std::vector<LanguageProbability>> probs(jobs.size());
    for (float temperature : fb.temperatures) {
      std::vector<DecodingJob> round;
      for (size_t i : pending) {
        DecodingJob j = jobs[i];
        if (temperature > 0) {
          j.options.beam_size.reset();
          j.options.patience.reset();
        } else {
          j.options.best_of.reset();
        }
        j.options.temperature = temperature;
        if (j.options.language.empty()) j.options.language = languages[i];  // detected once
        round.push_back(std::move(j));
      }
      std::vector<DecodingResult> got = decode(round);
      std::vector<size_t> still;
      for (size_t r = 0; r < pending.size(); ++r) {
        const size_t i = pending[r];
        DecodingResult& res = got[r];
        if (languages[i].empty()) {
          languages[i] = res.language;
          probs[i] = res.language_probs;
        } else if (res.language_probs.empty()) {
          res.language_probs = probs[i];
        }
        bool needs_fallback = false;
        if (fb.compression_ratio_threshold &&
            res.compression_ratio > *fb.compression_ratio_threshold)
          needs_fallback = true;  // too repetitive
        if (fb.logprob_threshold && res.avg_logprob < *fb.logprob_threshold)
          needs_fallback = true;  // average log probability too low
        if (fb.no_speech_threshold && res.no_speech_prob > *fb.no_speech_threshold &&
            fb.logprob_threshold && res.avg_logprob < *fb.logprob_threshold)
          needs_fallback = false;  // silence
        results[i] = std::move(res);
        if (needs_fallback) still.push_back(i);
      }
      pending = std::move(still);
      if (pending.empty()) break;
    }
    return results;
  }
};

DecodingSession::DecodingSession(std::shared_ptr<const Model> model, Tokenizer tokenizer,
                                 DecodingSessionOptions options) {
  if (!model) throw Error("DecodingSession: no model");
  impl_ = std::make_unique<Impl>(std::move(model), std::move(tokenizer), options);
}

DecodingSession::~DecodingSession() = default;

const Tokenizer& DecodingSession::tokenizer() const {
  return impl_->tok;
}
Decoder& DecodingSession::decoder() {
  return impl_->dec;
}

std::vector<std::vector<LanguageProbability>> DecodingSession::detect_language(
    std::span<const float* const> audio_features) {
  for (const float* f : audio_features)
    if (!f) throw Error("detect_language: missing audio features");
  return impl_->detect_language(audio_features);
}

std::vector<DecodingResult> DecodingSession::decode(std::span<const DecodingJob> jobs) {
  return impl_->decode(jobs);
}

DecodingResult DecodingSession::decode(const float* audio_features,
                                       const DecodingOptions& options) {
  const DecodingJob job{audio_features, options};
  return impl_->decode(std::span<const DecodingJob>(&job, 1)).front();
}

std::vector<DecodingResult> DecodingSession::decode_with_fallback(std::span<const DecodingJob> jobs,
                                                                  const FallbackOptions& fallback) {
  return impl_->decode_with_fallback(jobs, fallback);
}

}  // namespace tessera
