// The result of transcribing one audio file: openai-whisper's `transcribe()` dictionary as structs.
//
// Field order and meaning follow openai-whisper's result so the writers (text/output_formats.h) can
// reproduce its txt/vtt/srt/tsv/json files byte for byte.
#pragma once

#include <string>
#include <vector>

namespace tessera {

struct Segment {
  int id = 0;                    // index of the segment in the whole transcript
  int seek = 0;                  // mel frame offset of the 30 s window that produced it
  double start = 0;              // seconds from the start of the audio
  double end = 0;                // seconds
  std::string text;              // decoded text tokens (UTF-8), usually with a leading space
  std::vector<int> tokens;       // all tokens of the segment, timestamps included
  double temperature = 0;        // temperature of the decode that was kept
  double avg_logprob = 0;        // sum of token log-probabilities / number of tokens
  double compression_ratio = 0;  // len(text) / len(zlib(text)), as openai-whisper computes it
  double no_speech_prob = 0;     // probability of <|nospeech|> at the first decoding step
};

struct TranscriptionResult {
  std::string text;  // decode of all tokens (after the initial prompt)
  std::vector<Segment> segments;
  std::string language;  // language code, e.g. "en"
};

}  // namespace tessera
