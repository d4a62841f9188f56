// Pieces shared by the sequential and batched transcription loops.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/mel_frames.h"
#include "pipeline/window_engine.h"
#include "pipeline/window_tokens.h"
#include "tessera/mel.h"
#include "tessera/transcribe.h"
#include "tessera/transcript.h"

namespace tessera::pipeline {

// Copies frames [offset, offset + size) into `out` (n_mels x 3000) and zero-fills the rest:
// transcribe.py's pad_or_trim(mel[:, seek:seek + segment_size], N_FRAMES).
void cut_segment(MelFrames& mel, long long offset, int size, float* out);

// True when the first `size` frames of a cut window (n_mels x 3000) all equal `silence`, the value
// digital silence gets in this mel (the zero padding's): 80 dB or more below the file's peak.
bool is_digital_silence(const float* window, int n_mels, long long size, float silence);

// The language the windows are decoded in, as a code. Given: validated and normalized ("English"
// -> "en"; English-only models accept only English). Not given: "en" on English-only models,
// otherwise detected on the first 30 s of the mel (openai-whisper's pad_or_trim(mel, N_FRAMES)),
// which is left encoded in feature slot 0.
struct LanguageChoice {
  std::string code;
  bool slot0_holds_first_window = false;  // slot 0 = encode(mel frames [0, 3000))
};
LanguageChoice choose_language(WindowEngine& engine, MelFrames& mel, const std::string& language,
                               std::vector<float>& window_buffer);

// transcribe.py's no-voice-activity check on a window's kept result.
bool is_silent(const DecodingResult& r, const FallbackOptions& fallback);

// A segment dict as transcribe.py's new_segment() builds it; text decodes the tokens below eot.
Segment make_segment(const Tokenizer& tok, const TimedTokens& piece, long long seek,
                     const DecodingResult& r);

// "if a segment is instantaneous or does not contain text, clear it" (text and tokens emptied).
void clear_if_empty(Segment& s);

// Validated decoding options shared by all windows (language set, prompt fields cleared).
DecodingOptions window_options(const TranscribeOptions& opt, const std::string& language);

}  // namespace tessera::pipeline
