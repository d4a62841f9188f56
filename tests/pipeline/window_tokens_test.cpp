// transcribe.py's segment splitting and seek arithmetic on synthetic token lists.
#include "pipeline/window_tokens.h"

#include <gtest/gtest.h>

namespace tessera::pipeline {
namespace {

constexpr int kTs = 50364;  // <|0.00|> of the English-only vocabulary
constexpr int ts(int steps) {
  return kTs + steps;
}  // <|steps * 0.02|>
constexpr int kA = 100, kB = 200, kC = 300;  // ordinary text tokens

TEST(WindowTokens, FramesToSecondsIsPythonDivision) {
  EXPECT_EQ(frames_to_seconds(0), 0.0);
  EXPECT_EQ(frames_to_seconds(3000), 30.0);
  EXPECT_EQ(frames_to_seconds(1234), 1234 * 160 / 16000.0);
}

TEST(WindowTokens, ConsecutivePairsWithSingleTimestampEnding) {
  const std::vector<int> t{ts(0), kA, kB, ts(100), ts(100), kC, ts(250)};
  const WindowSplit s = split_window_tokens(t, kTs, 0, 3000);
  EXPECT_TRUE(s.single_timestamp_ending);
  ASSERT_EQ(s.pieces.size(), 2u);
  EXPECT_DOUBLE_EQ(s.pieces[0].start, 0.0);
  EXPECT_DOUBLE_EQ(s.pieces[0].end, 2.0);
  EXPECT_EQ(s.pieces[0].tokens, (std::vector<int>{ts(0), kA, kB, ts(100)}));
  EXPECT_DOUBLE_EQ(s.pieces[1].start, 2.0);
  EXPECT_DOUBLE_EQ(s.pieces[1].end, 5.0);
  EXPECT_EQ(s.pieces[1].tokens, (std::vector<int>{ts(100), kC, ts(250)}));
  EXPECT_EQ(s.next_seek, 3000);  // no speech after the last timestamp: the window is done
}

TEST(WindowTokens, UnfinishedTailIsDroppedAndSeekGoesToLastTimestamp) {
  const std::vector<int> t{ts(0), kA, ts(100), ts(100), kB, kC};
  const WindowSplit s = split_window_tokens(t, kTs, 500, 3000);
  EXPECT_FALSE(s.single_timestamp_ending);
  ASSERT_EQ(s.pieces.size(), 1u);
  EXPECT_DOUBLE_EQ(s.pieces[0].start, 5.0);
  EXPECT_DOUBLE_EQ(s.pieces[0].end, 7.0);
  EXPECT_EQ(s.pieces[0].tokens, (std::vector<int>{ts(0), kA, ts(100)}));
  EXPECT_EQ(s.next_seek, 500 + 200);  // 100 timestamp steps = 200 mel frames
}

TEST(WindowTokens, EndingOnAPairSeeksToThatTimestamp) {
  const std::vector<int> t{ts(0), kA, ts(300), ts(300)};
  const WindowSplit s = split_window_tokens(t, kTs, 0, 3000);
  EXPECT_FALSE(s.single_timestamp_ending);
  ASSERT_EQ(s.pieces.size(), 1u);
  EXPECT_EQ(s.pieces[0].tokens, (std::vector<int>{ts(0), kA, ts(300)}));
  EXPECT_EQ(s.next_seek, 600);
}

TEST(WindowTokens, NoPairUsesTheLastTimestampAsDuration) {
  const std::vector<int> t{ts(0), kA, kB, ts(150)};
  const WindowSplit s = split_window_tokens(t, kTs, 1000, 2500);
  EXPECT_TRUE(s.single_timestamp_ending);
  ASSERT_EQ(s.pieces.size(), 1u);
  EXPECT_DOUBLE_EQ(s.pieces[0].start, 10.0);
  EXPECT_DOUBLE_EQ(s.pieces[0].end, 10.0 + 150 * 0.02);
  EXPECT_EQ(s.pieces[0].tokens, t);
  EXPECT_EQ(s.next_seek, 3500);
}

TEST(WindowTokens, NoTimestampsSpanTheWholeContent) {
  const std::vector<int> t{kA, kB};
  const WindowSplit s = split_window_tokens(t, kTs, 3000, 1234);
  ASSERT_EQ(s.pieces.size(), 1u);
  EXPECT_DOUBLE_EQ(s.pieces[0].start, 30.0);
  EXPECT_DOUBLE_EQ(s.pieces[0].end, 30.0 + 12.34);
  EXPECT_EQ(s.next_seek, 4234);
}

TEST(WindowTokens, OnlyTimestampZeroCountsAsNoTimestamp) {
  const std::vector<int> t{ts(0), kA, kB};
  const WindowSplit s = split_window_tokens(t, kTs, 0, 800);
  ASSERT_EQ(s.pieces.size(), 1u);
  EXPECT_DOUBLE_EQ(s.pieces[0].end, 8.0);
  EXPECT_EQ(s.next_seek, 800);
}

TEST(WindowTokens, EmptyResultIsOneEmptyPiece) {
  const WindowSplit s = split_window_tokens({}, kTs, 0, 3000);
  EXPECT_FALSE(s.single_timestamp_ending);
  ASSERT_EQ(s.pieces.size(), 1u);
  EXPECT_TRUE(s.pieces[0].tokens.empty());
  EXPECT_DOUBLE_EQ(s.pieces[0].end, 30.0);
  EXPECT_EQ(s.next_seek, 3000);
}

TEST(WindowTokens, ManySegmentsKeepPythonTimeArithmetic) {
  // seek 1234 frames: time_offset 12.34, then + pos * 0.02 exactly as Python adds them.
  const std::vector<int> t{ts(5), kA, ts(55), ts(60), kB, ts(61), ts(61), kC, ts(1500)};
  const WindowSplit s = split_window_tokens(t, kTs, 1234, 3000);
  ASSERT_EQ(s.pieces.size(), 3u);
  const double off = 1234 * 160 / 16000.0, prec = 2 * 160 / 16000.0;
  EXPECT_EQ(s.pieces[0].start, off + 5 * prec);
  EXPECT_EQ(s.pieces[0].end, off + 55 * prec);
  EXPECT_EQ(s.pieces[1].start, off + 60 * prec);
  EXPECT_EQ(s.pieces[1].end, off + 61 * prec);
  EXPECT_EQ(s.pieces[2].start, off + 61 * prec);
  EXPECT_EQ(s.pieces[2].end, off + 1500 * prec);
  EXPECT_EQ(s.next_seek, 4234);
}

}  // namespace
}  // namespace tessera::pipeline
