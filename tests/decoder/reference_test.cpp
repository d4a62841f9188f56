// tessera's decoding against openai-whisper's on the same weights and clips. The expected results
// come from tests/integration/test_decoder_reference.py: live (TESSERA_DECODER_REFERENCE names
// the JSON it just wrote) or from the fixture it stored, tests/decoder/data/.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "decoder_test_util.h"
#include "tessera/decoding.h"

namespace tessera {
namespace {

// The live run (the script's own JSON) compares every entry; the stored fixture only the short
// English clips, so the default suite stays fast.
const char* live_reference() {
  const char* env = std::getenv("TESSERA_DECODER_REFERENCE");
  return env && *env ? env : nullptr;
}

std::string reference_path() {
  if (const char* live = live_reference()) return live;
  return test::repo_path("tests/decoder/data/openai_whisper_decodes.json");
}

bool quick_clip(const std::string& clip) {
  return clip == "jfk.wav" || clip == "1272-128104-0000.wav" || clip == "61-70968-0002.wav";
}

TEST(DecoderReference, MatchesOpenaiWhisper) {
  const std::string path = reference_path();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  std::ifstream in(path);
  const nlohmann::json ref =
      nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));

  std::map<std::string, std::unique_ptr<DecodingSession>> sessions;
  std::map<std::string, std::pair<int, int>> tally;  // model/mode -> (matches, total)
  int compared = 0;
  for (const auto& e : ref.at("entries")) {
    const std::string model = e.at("model"), clip = e.at("clip"), mode = e.at("mode");
    if (!test::shared_model(model) || (!live_reference() && !quick_clip(clip))) continue;
    auto& session = sessions[model];
    if (!session)
      session =
          std::make_unique<DecodingSession>(test::shared_model(model), test::model_tokenizer(model),
                                            DecodingSessionOptions{.threads = 2, .max_group = 5});
    DecodingOptions o;
    if (!session->tokenizer().is_multilingual()) o.language = "en";
    if (!e.at("beam_size").is_null()) o.beam_size = e.at("beam_size").get<int>();
    const DecodingResult r = session->decode(test::encoded_clip(model, clip).data(), o);
    const std::vector<int> want = e.at("tokens").get<std::vector<int>>();
    auto& [matches, total] = tally[model + " " + mode];
    ++total;
    ++compared;
    if (r.tokens == want) {
      ++matches;
      EXPECT_NEAR(r.avg_logprob, e.at("avg_logprob").get<double>(), 0.02) << model << " " << clip;
      EXPECT_NEAR(r.no_speech_prob, e.at("no_speech_prob").get<double>(), 0.02)
          << model << " " << clip;
      EXPECT_EQ(r.language, e.at("language").get<std::string>());
    } else {
      std::cout << "[ differs ] " << model << " " << mode << " " << clip
                << "\n  openai-whisper: " << e.at("text").get<std::string>()
                << "\n  tessera:        " << r.text << "\n";
    }
  }
  if (compared == 0) GTEST_SKIP() << "no model of " << path << " is fetched";
  for (const auto& [key, mt] : tally) {
    std::cout << "[ reference ] " << key << ": " << mt.first << "/" << mt.second
              << " token-identical to openai-whisper\n";
    // The gate of issue 5: all but at most one clip identical.
    EXPECT_GE(mt.first, mt.second - 1) << key;
  }
}

}  // namespace
}  // namespace tessera
