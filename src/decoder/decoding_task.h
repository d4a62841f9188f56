// What openai-whisper's DecodingTask.__init__ derives from the options: the initial tokens
// (prompt, sot sequence, prefix), where sampling begins, the logit filters and the search setup.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "decoder/logit_filters.h"
#include "decoder/token_search.h"
#include "tessera/decoding.h"
#include "tessera/model.h"
#include "tessera/tokenizer.h"

namespace tessera::decoder {

struct TaskSetup {
  std::vector<int> initial_tokens;
  int sample_begin = 0;  // len(initial_tokens)
  int sot_index = 0;     // where <|startoftranscript|> is in initial_tokens
  int sample_len = 0;
  int n_group = 1;
  std::string language;          // code; empty until detected
  bool detect_language = false;  // then initial_tokens[sot_index + 1] is filled in later
  LogitFilters filters;
  SearchConfig search;
};

// Checks the options as openai-whisper's _verify_options does (plus range checks) and builds the
// task. Throws tessera::Error naming the option on bad input.
TaskSetup make_task_setup(const DecodingOptions& options, const Tokenizer& tokenizer,
                          const ModelConfig& config);

// The ids to suppress for an options.suppress_tokens string ("-1" = non-speech symbols), plus the
// special tokens openai-whisper always adds; sorted, unique. Empty string: none at all.
std::vector<int> suppress_token_ids(std::string_view spec, const Tokenizer& tokenizer);

// Python's str.strip() (Unicode whitespace) on UTF-8 text.
std::string python_strip(std::string_view text);

// Python's list[-m:] (m = 0 keeps everything, m < 0 drops the first -m).
std::vector<int> python_tail(const std::vector<int>& v, int m);

}  // namespace tessera::decoder
