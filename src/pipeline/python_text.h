// Small pieces of Python semantics that openai-whisper's transcribe.py relies on.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::pipeline {

// Python's str.strip() on UTF-8 text: removes leading and trailing characters for which
// str.isspace() is true (ASCII whitespace, U+001C..U+001F, U+0085, U+00A0, U+1680, U+2000..U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000).
std::string_view py_strip(std::string_view text);

// " " + text.strip(): how openai-whisper turns a prompt into text to encode.
std::string space_then_stripped(std::string_view text);

// Python's round(x) for floats: round half to even.
long long py_round(double x);

// Python's list[-k:] for any integer k (k == 0 gives the whole list, k < 0 drops the first -k).
std::vector<int> py_tail(std::span<const int> v, long long k);

// "0", "1.5,10", "" -> [0], [1.5, 10], []: the clip_timestamps string. Throws tessera::Error on a
// value that is not a number.
std::vector<double> parse_clip_timestamps(std::string_view text);

}  // namespace tessera::pipeline
