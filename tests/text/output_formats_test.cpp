// Writers must produce exactly what openai-whisper's WriteTXT/VTT/SRT/TSV/JSON write for the same
// result (expected strings below come from running those writers on the same dictionary).
#include "text/output_formats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "tessera/error.h"
#include "text/python_json.h"

namespace tessera {
namespace {

TranscriptionResult two_segments() {
  TranscriptionResult r;
  r.language = "en";
  r.text = " And so my fellow Americans --> ask not. What can I do\tfor you?";
  Segment a;
  a.id = 0;
  a.seek = 0;
  a.start = 0.0;
  a.end = 7.640000000000001;
  a.text = " And so my fellow Americans --> ask not.";
  a.tokens = {50364, 400, 370, 452, 7177, 6280, 50746};
  a.temperature = 0.0;
  a.avg_logprob = -0.2860399576822917;
  a.compression_ratio = 1.0983606557377048;
  a.no_speech_prob = 0.00970458984375;
  Segment b;
  b.id = 1;
  b.seek = 3000;
  b.start = 3725.5;  // past an hour
  b.end = 3727.0005;
  b.text = " What can I do\tfor you? ";
  b.tokens = {50764, 708, 50864};
  b.temperature = 0.2;
  b.avg_logprob = -1e-05;
  b.compression_ratio = 12345678901234567.0;
  b.no_speech_prob = 0.5;
  r.segments = {a, b};
  return r;
}

std::string render(OutputFormat f, const TranscriptionResult& r) {
  std::ostringstream out;
  write_result(f, r, out);
  return out.str();
}

TEST(OutputFormats, FormatTimestamp) {
  EXPECT_EQ(format_timestamp(0), "00:00.000");
  EXPECT_EQ(format_timestamp(7.640000000000001), "00:07.640");
  EXPECT_EQ(format_timestamp(61.0005), "01:01.000");  // 61.0005 * 1000 == 61000.5 -> even
  EXPECT_EQ(format_timestamp(0.0025), "00:00.002");   // 2.5 -> 2 (ties to even)
  EXPECT_EQ(format_timestamp(0.0035), "00:00.004");
  EXPECT_EQ(format_timestamp(3725.5, true, ','), "01:02:05,500");
  EXPECT_EQ(format_timestamp(3725.5), "01:02:05.500");
  EXPECT_EQ(format_timestamp(5.0, true, ','), "00:00:05,000");
  EXPECT_EQ(format_timestamp(360000.0), "100:00:00.000");
  EXPECT_THROW(format_timestamp(-0.5), Error);
  EXPECT_THROW(format_timestamp(std::nan("")), Error);
}

TEST(OutputFormats, Txt) {
  EXPECT_EQ(render(OutputFormat::Txt, two_segments()),
            "And so my fellow Americans --> ask not.\nWhat can I do\tfor you?\n");
}

TEST(OutputFormats, Vtt) {
  EXPECT_EQ(render(OutputFormat::Vtt, two_segments()),
            "WEBVTT\n\n"
            "00:00.000 --> 00:07.640\nAnd so my fellow Americans -> ask not.\n\n"
            "01:02:05.500 --> 01:02:07.000\nWhat can I do\tfor you?\n\n");
}

TEST(OutputFormats, Srt) {
  EXPECT_EQ(render(OutputFormat::Srt, two_segments()),
            "1\n00:00:00,000 --> 00:00:07,640\nAnd so my fellow Americans -> ask not.\n\n"
            "2\n01:02:05,500 --> 01:02:07,000\nWhat can I do\tfor you?\n\n");
}

TEST(OutputFormats, Tsv) {
  EXPECT_EQ(render(OutputFormat::Tsv, two_segments()),
            "start\tend\ttext\n0\t7640\tAnd so my fellow Americans --> ask not.\n"
            "3725500\t3727000\tWhat can I do for you?\n");
}

TEST(OutputFormats, Json) {
  EXPECT_EQ(
      render(OutputFormat::Json, two_segments()),
      R"({"text": " And so my fellow Americans --> ask not. What can I do\tfor you?", "segments": [)"
      R"({"id": 0, "seek": 0, "start": 0.0, "end": 7.640000000000001, "text": " And so my fellow Americans --> ask not.", )"
      R"("tokens": [50364, 400, 370, 452, 7177, 6280, 50746], "temperature": 0.0, "avg_logprob": -0.2860399576822917, )"
      R"("compression_ratio": 1.0983606557377048, "no_speech_prob": 0.00970458984375}, )"
      R"({"id": 1, "seek": 3000, "start": 3725.5, "end": 3727.0005, "text": " What can I do\tfor you? ", )"
      R"("tokens": [50764, 708, 50864], "temperature": 0.2, "avg_logprob": -1e-05, )"
      R"("compression_ratio": 1.2345678901234568e+16, "no_speech_prob": 0.5}], "language": "en"})");
}

TEST(OutputFormats, EmptyResult) {
  TranscriptionResult r;
  r.language = "ja";
  EXPECT_EQ(render(OutputFormat::Txt, r), "");
  EXPECT_EQ(render(OutputFormat::Vtt, r), "WEBVTT\n\n");
  EXPECT_EQ(render(OutputFormat::Srt, r), "");
  EXPECT_EQ(render(OutputFormat::Tsv, r), "start\tend\ttext\n");
  EXPECT_EQ(render(OutputFormat::Json, r), R"({"text": "", "segments": [], "language": "ja"})");
}

TEST(OutputFormats, JsonEscapesLikePython) {
  std::string out;
  text::append_python_json_string("日本 é \"q\" \\ \n\r\t\b\f \x01 \x7f 🙂 \xFF", out);
  EXPECT_EQ(out, R"("\u65e5\u672c \u00e9 \"q\" \\ \n\r\t\b\f \u0001 \u007f \ud83d\ude42 \ufffd")");
}

TEST(OutputFormats, PythonFloatRepr) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {1.0, "1.0"},
      {0.1, "0.1"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1.5e-7, "1.5e-07"},
      {123.456, "123.456"},
      {1e15, "1000000000000000.0"},
      {1e16, "1e+16"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {5e-324, "5e-324"},
      {2.34, "2.34"},
      {7.640000000000001, "7.640000000000001"},
      {-0.5, "-0.5"},
      {100.0, "100.0"},
      {std::nan(""), "NaN"},
      {-std::numeric_limits<double>::infinity(), "-Infinity"}};
  for (const auto& [v, expected] : cases) {
    std::string out;
    text::append_python_float(v, out);
    EXPECT_EQ(out, expected);
  }
}

TEST(OutputFormats, ParseFormats) {
  EXPECT_EQ(parse_output_formats("srt"), std::vector<OutputFormat>{OutputFormat::Srt});
  EXPECT_EQ(parse_output_formats("txt,json,txt"),
            (std::vector<OutputFormat>{OutputFormat::Txt, OutputFormat::Json}));
  EXPECT_EQ(parse_output_formats("all").size(), 5u);
  EXPECT_THROW(parse_output_formats(""), Error);
  EXPECT_THROW(parse_output_formats("txt,"), Error);
  EXPECT_THROW(parse_output_formats("docx"), Error);
  EXPECT_EQ(extension(OutputFormat::Tsv), "tsv");
}

TEST(OutputFormats, WritesFilesNamedAfterTheAudio) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera_output_formats_test";
  std::filesystem::create_directories(dir);
  EXPECT_EQ(output_path(dir.string(), "/x/clip.v2.wav", OutputFormat::Srt),
            (dir / "clip.v2.srt").string());
  write_result_file(OutputFormat::Txt, two_segments(), dir.string(), "/somewhere/jfk.flac");
  std::ifstream in(dir / "jfk.txt");
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), render(OutputFormat::Txt, two_segments()));
  std::filesystem::remove_all(dir);
  EXPECT_THROW(write_result_file(OutputFormat::Txt, two_segments(), "/nonexistent/dir", "a.wav"),
               Error);
}

}  // namespace
}  // namespace tessera
