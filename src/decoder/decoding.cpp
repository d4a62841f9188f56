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
  struct Task {
    const DecodingJob* job = nullptr;
    TaskSetup setup;
    TokenSearch search;
    int window = 0;
    int seq0 = 0;
    int steps = 0;
    bool done = false;
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
            .max_sequences = o.max_windows * o.max_group};
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

  std::vector<DecodingResult> decode(std::span<const DecodingJob> jobs) {
    std::vector<DecodingResult> results(jobs.size());
    size_t next = 0;
    while (next < jobs.size()) {
      // Fill a round: up to max_windows windows whose groups fit the sequence slots.
      int n_tasks = 0, seqs = 0;
      while (next < jobs.size() && n_tasks < opt.max_windows) {
        const DecodingJob& job = jobs[next];
        if (!job.audio_features)
          throw Error("decode: job " + std::to_string(next) + " has no audio features");
        TaskSetup setup = decoder::make_task_setup(job.options, tok, model->config);
        if (setup.n_group > opt.max_group)
          throw Error("decode: " + std::to_string(setup.n_group) +
                      " beams/samples per window exceed the session's max_group " +
                      std::to_string(opt.max_group));
        Task& t = tasks[n_tasks];
        t.job = &job;
        t.setup = std::move(setup);
        t.window = n_tasks;
        t.seq0 = seqs;
        seqs += t.setup.n_group;
        ++n_tasks;
        ++next;
      }
      run_round(n_tasks);
      for (int i = 0; i < n_tasks; ++i) results[next - n_tasks + i] = finish(tasks[i]);
    }
    return results;
  }

  void run_round(int n_tasks) {
    for (int i = 0; i < n_tasks; ++i) {
      Task& t = tasks[i];
      dec.set_audio(t.window, t.job->audio_features);
      for (int k = 0; k < t.setup.n_group; ++k) dec.bind(t.seq0 + k, t.window);
      t.steps = 0;
      t.done = false;
      t.sot_cached = false;
      t.no_speech_prob = std::numeric_limits<double>::quiet_NaN();
      t.language_probs.clear();
    }
    detect_languages(n_tasks);
    for (int i = 0; i < n_tasks; ++i)
      tasks[i].search.reset(tasks[i].setup.search, tasks[i].setup.initial_tokens);

    // First step: one sequence per window with the whole initial token list (all members of a
    // group are identical until the first update).
    inputs.clear();
    for (int i = 0; i < n_tasks; ++i) {
      Task& t = tasks[i];
      std::span<const int> toks = t.setup.initial_tokens;
      int extra = t.setup.sot_index;
      if (t.sot_cached) {
        toks = toks.subspan(1);
        extra = -1;
      }
      inputs.push_back({.sequence = t.seq0, .tokens = toks, .extra_logits_at = extra});
    }
    float* logits = dec.step(inputs);
    int extra_row = n_tasks;
    for (int i = 0; i < n_tasks; ++i) {
      Task& t = tasks[i];
      if (!t.sot_cached) {
        t.no_speech_prob = no_speech_prob(logits + static_cast<size_t>(extra_row++) * n_vocab);
      }
      float* row = logits + static_cast<size_t>(i) * n_vocab;
      t.setup.filters.apply(row, t.search.tokens(0), scratch.data());
      t.rows.assign(t.setup.n_group, row);
      advance(t);
    }

    // Then one token per live sequence per step, until every window is done.
    for (;;) {
      inputs.clear();
      input_task.clear();
      input_member.clear();
      for (int i = 0; i < n_tasks; ++i) {
        Task& t = tasks[i];
        if (t.done) continue;
        for (int k = 0; k < t.setup.n_group; ++k) {
          if (!t.search.active(k)) continue;
          const std::span<const int> toks = t.search.tokens(k);
          inputs.push_back({.sequence = t.seq0 + k, .tokens = toks.subspan(toks.size() - 1)});
          input_task.push_back(i);
          input_member.push_back(k);
        }
      }
      if (inputs.empty()) break;
      logits = dec.step(inputs);
      for (int i = 0; i < n_tasks; ++i)
        if (!tasks[i].done) tasks[i].rows.assign(tasks[i].setup.n_group, nullptr);
      for (size_t r = 0; r < inputs.size(); ++r) {
        Task& t = tasks[input_task[r]];
        const int k = input_member[r];
        float* row = logits + r * n_vocab;
        t.setup.filters.apply(row, t.search.tokens(k), scratch.data());
        t.rows[k] = row;
      }
      for (int i = 0; i < n_tasks; ++i)
        if (!tasks[i].done) advance(tasks[i]);
    }
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
      t.done = true;
  }

  double no_speech_prob(const float* row) {
    std::copy(row, row + n_vocab, scratch.data());
    decoder::softmax_inplace(scratch.data(), n_vocab);
    return scratch[tok.no_speech()];
  }

  // Windows without a language get it from the logits after a lone sot, as openai-whisper's
  // detect_language does. When sot starts the initial tokens, that pass is also the start of the
  // real one (causal attention): the leader keeps the sot in its cache and the no-speech
  // probability is read here.
  void detect_languages(int n_tasks) {
    inputs.clear();
    input_task.clear();
    for (int i = 0; i < n_tasks; ++i) {
      if (!tasks[i].setup.detect_language) continue;
      inputs.push_back({.sequence = tasks[i].seq0, .tokens = sot_token});
      input_task.push_back(i);
    }
    if (inputs.empty()) return;
    float* logits = dec.step(inputs);
    for (size_t r = 0; r < inputs.size(); ++r) {
      Task& t = tasks[input_task[r]];
      float* row = logits + r * n_vocab;
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
    }
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
