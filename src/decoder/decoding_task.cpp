#include "decoder/decoding_task.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "tessera/error.h"

namespace tessera::decoder {
namespace {

constexpr double kChunkSeconds = 30.0;

bool is_python_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Code point of the UTF-8 sequence at s[i..i+len); 0xFFFFFFFF when malformed.
uint32_t decode_at(std::string_view s, size_t i, size_t len) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (len == 1) return b(0) < 0x80 ? b(0) : 0xFFFFFFFFu;
  uint32_t cp = len == 2 ? (b(0) & 0x1Fu) : len == 3 ? (b(0) & 0x0Fu) : (b(0) & 0x07u);
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0u) != 0x80u) return 0xFFFFFFFFu;
    cp = (cp << 6) | (b(k) & 0x3Fu);
  }
  return cp;
}

size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

int parse_int(std::string_view item, std::string_view whole) {
  while (!item.empty() && is_python_space(static_cast<unsigned char>(item.front())))
    item.remove_prefix(1);
  while (!item.empty() && is_python_space(static_cast<unsigned char>(item.back())))
    item.remove_suffix(1);
  bool negative = false;
  if (!item.empty() && (item.front() == '-' || item.front() == '+')) {
    negative = item.front() == '-';
    item.remove_prefix(1);
  }
  if (item.empty() || item.size() > 9 ||
      !std::all_of(item.begin(), item.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw Error("decoding: suppress_tokens \"" + std::string(whole) +
                "\" is not a comma-separated list of token ids");
  int v = 0;
  for (char c : item) v = v * 10 + (c - '0');
  return negative ? -v : v;
}

// " " + text (spelled out: GCC 12 warns falsely about operator+ here, -Wrestrict).
std::string space_then(const std::string& text) {
  std::string s;
  s.reserve(text.size() + 1);
  s.push_back(' ');
  s.append(text);
  return s;
}

}  // namespace

std::string python_strip(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t len = sequence_length(static_cast<unsigned char>(text[begin]));
    if (len == 0 || begin + len > text.size() || !is_python_space(decode_at(text, begin, len)))
      break;
    begin += len;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0u) == 0x80u &&
           end - start < 4)
      --start;
    const size_t len = sequence_length(static_cast<unsigned char>(text[start]));
    if (len != end - start || !is_python_space(decode_at(text, start, len))) break;
    end = start;
  }
  return std::string(text.substr(begin, end - begin));
}

std::vector<int> python_tail(const std::vector<int>& v, int m) {
  const size_t n = v.size();
  size_t from;
  if (m > 0)
    from = n > static_cast<size_t>(m) ? n - m : 0;
  else if (m == 0)
    from = 0;
  else
    from = std::min(n, static_cast<size_t>(-static_cast<int64_t>(m)));
  return std::vector<int>(v.begin() + from, v.end());
}

std::vector<int> suppress_token_ids(std::string_view spec, const Tokenizer& tok) {
  std::vector<int> ids;
  if (spec.empty()) return ids;
  size_t pos = 0;
  while (true) {
    const size_t comma = spec.find(',', pos);
    ids.push_back(parse_int(
        spec.substr(pos, comma == std::string_view::npos ? spec.npos : comma - pos), spec));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  const int n_vocab = tok.n_vocab();
  if (std::find(ids.begin(), ids.end(), -1) != ids.end()) {
    std::erase_if(ids, [](int t) { return t < 0; });
    const auto& ns = tok.non_speech_tokens();
    ids.insert(ids.end(), ns.begin(), ns.end());
  }
  for (int& t : ids) {
    if (t < 0 && t >= -n_vocab) t += n_vocab;  // Python indexing from the end
    if (t < 0 || t >= n_vocab)
      throw Error("decoding: suppress_tokens id " + std::to_string(t) +
                  " outside the vocabulary 0.." + std::to_string(n_vocab - 1));
  }
  for (int t : {tok.transcribe(), tok.translate(), tok.sot(), tok.sot_prev(), tok.sot_lm(),
                tok.no_speech()})
    ids.push_back(t);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

TaskSetup make_task_setup(const DecodingOptions& o, const Tokenizer& tok, const ModelConfig& cfg) {
  // _verify_options
  if (o.beam_size && o.best_of)
    throw Error("decoding: beam_size and best_of can't be given together");
  if (o.temperature == 0 && o.best_of)
    throw Error("decoding: best_of with greedy sampling (temperature 0) is not compatible");
  if (o.patience && !o.beam_size) throw Error("decoding: patience requires beam_size to be given");
  if (o.length_penalty && !(*o.length_penalty >= 0 && *o.length_penalty <= 1))
    throw Error("decoding: length_penalty (alpha) should be a value between 0 and 1");
  if (!(o.temperature >= 0) || std::isinf(o.temperature))
    throw Error("decoding: temperature must be a finite value >= 0");
  if (o.beam_size && *o.beam_size <= 0) throw Error("decoding: beam_size must be positive");
  if (o.best_of && *o.best_of < 0) throw Error("decoding: best_of must be positive");
  if (o.sample_len && *o.sample_len < 0) throw Error("decoding: sample_len must be positive");
  if (o.patience && !(*o.patience >= 0)) throw Error("decoding: patience must be positive");
  if (o.max_initial_timestamp && !(*o.max_initial_timestamp >= 0))
    throw Error("decoding: max_initial_timestamp must be >= 0");
  if (tok.n_vocab() != cfg.n_vocab)
    throw Error("decoding: tokenizer vocabulary " + std::to_string(tok.n_vocab()) +
                " does not match the model's " + std::to_string(cfg.n_vocab));

  TaskSetup t;
  const int n_ctx = cfg.n_text_ctx;
  // Python's `x or default`: 0 counts as unset.
  t.sample_len = o.sample_len.value_or(0) ? *o.sample_len : n_ctx / 2;
  t.n_group = o.beam_size.value_or(0) ? *o.beam_size : o.best_of.value_or(0) ? *o.best_of : 1;
  const bool beam = o.beam_size.has_value();  // `if options.beam_size is not None`

  if (tok.is_multilingual()) {
    if (o.language.empty()) {
      t.detect_language = true;
    } else {
      tok.language_token(o.language);  // throws on an unknown language
      t.language = to_language_code(o.language);
    }
  } else {
    t.language = "en";
  }
  std::vector<int> tokens =
      o.without_timestamps
          ? tok.sot_sequence_including_notimestamps(t.language.empty() ? "en" : t.language, o.task)
          : tok.sot_sequence(t.language.empty() ? "en" : t.language, o.task);
  const bool has_prefix = !o.prefix.empty() || !o.prefix_tokens.empty();
  if (has_prefix) {
    std::vector<int> prefix =
        !o.prefix.empty() ? tok.encode(space_then(python_strip(o.prefix))) : o.prefix_tokens;
    prefix = python_tail(prefix, n_ctx / 2 - t.sample_len);
    tokens.insert(tokens.end(), prefix.begin(), prefix.end());
  }
  int sot_index = 0;
  if (!o.prompt.empty() || !o.prompt_tokens.empty()) {
    std::vector<int> prompt =
        !o.prompt.empty() ? tok.encode(space_then(python_strip(o.prompt))) : o.prompt_tokens;
    prompt = python_tail(prompt, n_ctx / 2 - 1);
    std::vector<int> with_prompt{tok.sot_prev()};
    with_prompt.insert(with_prompt.end(), prompt.begin(), prompt.end());
    sot_index = static_cast<int>(with_prompt.size());
    with_prompt.insert(with_prompt.end(), tokens.begin(), tokens.end());
    tokens = std::move(with_prompt);
  }
  for (int id : tokens)
    if (id < 0 || id >= cfg.n_vocab)
      throw Error("decoding: prompt or prefix token " + std::to_string(id) +
                  " outside the vocabulary 0.." + std::to_string(cfg.n_vocab - 1));
  if (static_cast<int>(tokens.size()) >= n_ctx)
    throw Error("decoding: the prompt, sot sequence and prefix take " +
                std::to_string(tokens.size()) + " tokens, the model's context is " +
                std::to_string(n_ctx));
  t.initial_tokens = std::move(tokens);
  t.sample_begin = static_cast<int>(t.initial_tokens.size());
  t.sot_index = sot_index;

  LogitFilters& f = t.filters;
  f.n_vocab = cfg.n_vocab;
  f.sample_begin = t.sample_begin;
  if (o.suppress_blank) {
    f.blank = true;
    f.blank_ids = tok.encode(" ");
    f.blank_ids.push_back(tok.eot());
  }
  if (!o.suppress_tokens.empty()) {
    f.suppress = true;
    f.suppress_ids = suppress_token_ids(o.suppress_tokens, tok);
  }
  if (!o.without_timestamps) {
    f.timestamps = true;
    f.rules.sample_begin = t.sample_begin;
    f.rules.eot = tok.eot();
    f.rules.no_timestamps = tok.no_timestamps();
    f.rules.timestamp_begin = tok.timestamp_begin();
    if (o.max_initial_timestamp && *o.max_initial_timestamp != 0) {
      const double precision = kChunkSeconds / cfg.n_audio_ctx;  // 0.02 s
      // Python's round(): half to even.
      f.rules.max_initial_timestamp_index = static_cast<int>(
          std::nearbyint(static_cast<double>(*o.max_initial_timestamp) / precision));
    }
  }

  SearchConfig& s = t.search;
  s.n_group = t.n_group;
  s.beam = beam;
  if (beam) {
    const double patience = o.patience.value_or(0) ? *o.patience : 1.0;
    s.max_candidates = static_cast<int>(std::nearbyint(t.n_group * patience));
    if (t.n_group < 1 || s.max_candidates < 1)
      throw Error("decoding: invalid beam size (" + std::to_string(t.n_group) + ") or patience");
  }
  if (t.n_group < 1) throw Error("decoding: best_of must be at least 1");
  s.temperature = o.temperature;
  s.eot = tok.eot();
  s.sample_begin = t.sample_begin;
  s.max_tokens = n_ctx + 1;
  s.seed = o.seed;
  s.length_penalty = o.length_penalty;
  return t;
}

}  // namespace tessera::decoder
