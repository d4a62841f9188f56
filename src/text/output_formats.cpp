#include "text/output_formats.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tessera/error.h"
#include "text/python_json.h"
#include "text/utf8.h"

namespace tessera {
namespace {

constexpr OutputFormat kAllFormats[] = {OutputFormat::Txt, OutputFormat::Vtt, OutputFormat::Srt,
                                        OutputFormat::Tsv, OutputFormat::Json};

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string_view::npos;
       pos = hit + from.size()) {
    out.append(text.substr(pos, hit - pos));
    out.append(to);
  }
  out.append(text.substr(pos));
  return out;
}

// Python's round() on a float: to nearest, ties to even (the default FP rounding mode).
long long python_round(double x) {
  if (!std::isfinite(x) || std::fabs(x) > 9.0e18)
    throw Error("output: time " + std::to_string(x) + " is out of range");
  return static_cast<long long>(std::nearbyint(x));
}

// Subtitle cue text: stripped, and "-->" cannot end the cue early.
std::string cue_text(const Segment& s) {
  return replace_all(text::python_strip(s.text), "-->", "->");
}

}  // namespace

std::vector<OutputFormat> parse_output_formats(std::string_view list) {
  std::vector<OutputFormat> formats;
  size_t pos = 0;
  while (true) {
    const size_t comma = list.find(',', pos);
    const std::string_view name =
        list.substr(pos, comma == std::string_view::npos ? list.npos : comma - pos);
    bool known = false;
    if (name == "all") {
      for (const OutputFormat f : kAllFormats) formats.push_back(f);
      known = true;
    }
    for (const OutputFormat f : kAllFormats) {
      if (name == extension(f)) {
        formats.push_back(f);
        known = true;
      }
    }
    if (!known) {
      throw Error("output: unknown format '" + std::string(name) +
                  "' (use txt, vtt, srt, tsv, json or all)");
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  // Keep the first occurrence of each format.
  std::vector<OutputFormat> unique;
  for (const OutputFormat f : formats) {
    bool seen = false;
    for (const OutputFormat u : unique) seen = seen || u == f;
    if (!seen) unique.push_back(f);
  }
  return unique;
}

std::string_view extension(OutputFormat format) {
  switch (format) {
    case OutputFormat::Txt:
      return "txt";
    case OutputFormat::Vtt:
      return "vtt";
    case OutputFormat::Srt:
      return "srt";
    case OutputFormat::Tsv:
      return "tsv";
    case OutputFormat::Json:
      return "json";
  }
  return "txt";
}

std::string format_timestamp(double seconds, bool always_include_hours, char decimal_marker) {
  if (!(seconds >= 0))
    throw Error("output: timestamp " + std::to_string(seconds) + " is not a non-negative time");
  long long ms = python_round(seconds * 1000.0);
  const long long hours = ms / 3'600'000;
  ms -= hours * 3'600'000;
  const long long minutes = ms / 60'000;
  ms -= minutes * 60'000;
  const long long secs = ms / 1'000;
  ms -= secs * 1'000;
  char buf[64];
  if (always_include_hours || hours > 0) {
    std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld%c%03lld", hours, minutes, secs,
                  decimal_marker, ms);
  } else {
    std::snprintf(buf, sizeof(buf), "%02lld:%02lld%c%03lld", minutes, secs, decimal_marker, ms);
  }
  return buf;
}

void write_txt(const TranscriptionResult& result, std::ostream& out) {
  for (const Segment& s : result.segments) out << text::python_strip(s.text) << '\n';
}

void write_vtt(const TranscriptionResult& result, std::ostream& out) {
  out << "WEBVTT\n\n";
  for (const Segment& s : result.segments) {
    out << format_timestamp(s.start) << " --> " << format_timestamp(s.end) << '\n'
        << cue_text(s) << "\n\n";
  }
}

void write_srt(const TranscriptionResult& result, std::ostream& out) {
  int index = 1;
  for (const Segment& s : result.segments) {
    out << index++ << '\n'
        << format_timestamp(s.start, true, ',') << " --> " << format_timestamp(s.end, true, ',')
        << '\n'
        << cue_text(s) << "\n\n";
  }
}

void write_tsv(const TranscriptionResult& result, std::ostream& out) {
  out << "start\tend\ttext\n";
  for (const Segment& s : result.segments) {
    out << python_round(1000 * s.start) << '\t' << python_round(1000 * s.end) << '\t'
        << replace_all(text::python_strip(s.text), "\t", " ") << '\n';
  }
}

void write_json(const TranscriptionResult& result, std::ostream& out) {
  using text::append_python_float;
  using text::append_python_json_string;
  std::string json = "{\"text\": ";
  append_python_json_string(result.text, json);
  json += ", \"segments\": [";
  for (size_t i = 0; i < result.segments.size(); ++i) {
    const Segment& s = result.segments[i];
    if (i > 0) json += ", ";
    json += "{\"id\": " + std::to_string(s.id) + ", \"seek\": " + std::to_string(s.seek) +
            ", \"start\": ";
    append_python_float(s.start, json);
    json += ", \"end\": ";
    append_python_float(s.end, json);
    json += ", \"text\": ";
    append_python_json_string(s.text, json);
    json += ", \"tokens\": [";
    for (size_t t = 0; t < s.tokens.size(); ++t) {
      if (t > 0) json += ", ";
      json += std::to_string(s.tokens[t]);
    }
    json += "], \"temperature\": ";
    append_python_float(s.temperature, json);
    json += ", \"avg_logprob\": ";
    append_python_float(s.avg_logprob, json);
    json += ", \"compression_ratio\": ";
    append_python_float(s.compression_ratio, json);
    json += ", \"no_speech_prob\": ";
    append_python_float(s.no_speech_prob, json);
    json += "}";
  }
  json += "], \"language\": ";
  append_python_json_string(result.language, json);
  json += "}";
  out << json;
}

void write_result(OutputFormat format, const TranscriptionResult& result, std::ostream& out) {
  switch (format) {
    case OutputFormat::Txt:
      return write_txt(result, out);
    case OutputFormat::Vtt:
      return write_vtt(result, out);
    case OutputFormat::Srt:
      return write_srt(result, out);
    case OutputFormat::Tsv:
      return write_tsv(result, out);
    case OutputFormat::Json:
      return write_json(result, out);
  }
}

std::string output_path(const std::string& output_dir, const std::string& audio_path,
                        OutputFormat format) {
  namespace fs = std::filesystem;
  // os.path.splitext(os.path.basename(p))[0]: only the last extension goes ("a.b.wav" -> "a.b").
  const std::string stem = fs::path(audio_path).filename().stem().string();
  return (fs::path(output_dir) / (stem + "." + std::string(extension(format)))).string();
}

void write_result_file(OutputFormat format, const TranscriptionResult& result,
                       const std::string& output_dir, const std::string& audio_path) {
  const std::string path = output_path(output_dir, audio_path, format);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(path + ": cannot open output file for writing");
  write_result(format, result, out);
  out.flush();
  if (!out) throw Error(path + ": write failed");
}

}  // namespace tessera
