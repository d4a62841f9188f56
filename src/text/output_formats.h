// Transcript writers with openai-whisper's output shapes (whisper/utils.py: WriteTXT, WriteVTT,
// WriteSRT, WriteTSV, WriteJSON), for results without word timestamps.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/transcript.h"

namespace tessera {

enum class OutputFormat { Txt, Vtt, Srt, Tsv, Json };

// "txt", "vtt", "srt", "tsv", "json", a comma-separated list of them, or "all" (all five, in
// openai-whisper's order). Throws tessera::Error on an unknown or empty name.
std::vector<OutputFormat> parse_output_formats(std::string_view list);
std::string_view extension(OutputFormat format);  // "txt", ...

// openai-whisper's format_timestamp: "MM:SS.mmm", with "HH:" when always_include_hours or when
// the time reaches an hour. Throws on a negative or non-finite time.
std::string format_timestamp(double seconds, bool always_include_hours = false,
                             char decimal_marker = '.');

void write_txt(const TranscriptionResult& result, std::ostream& out);
void write_vtt(const TranscriptionResult& result, std::ostream& out);
void write_srt(const TranscriptionResult& result, std::ostream& out);
void write_tsv(const TranscriptionResult& result, std::ostream& out);
void write_json(const TranscriptionResult& result, std::ostream& out);
void write_result(OutputFormat format, const TranscriptionResult& result, std::ostream& out);

// openai-whisper's file name: OUTPUT_DIR/<audio file name without extension>.<ext>.
std::string output_path(const std::string& output_dir, const std::string& audio_path,
                        OutputFormat format);
// Writes the result to output_path(...), throwing tessera::Error naming the file on failure.
void write_result_file(OutputFormat format, const TranscriptionResult& result,
                       const std::string& output_dir, const std::string& audio_path);

}  // namespace tessera
