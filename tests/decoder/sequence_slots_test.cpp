// Beam reordering as slot renames plus the fewest copies.
#include "decoder/sequence_slots.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "tessera/error.h"

namespace tessera::decoder {
namespace {

TEST(SequenceSlots, ReorderRenamesAndCopiesOnlyRepeatedSources) {
  SequenceSlots s(4);
  for (int q = 0; q < 4; ++q) {
    s.bind(q, q / 2);
    s.grow(q, 10 + q);
  }
  const std::vector<int> dst{0, 1, 2}, src{2, 2, 0};
  const auto copies = s.plan(dst, src);
  ASSERT_EQ(copies.size(), 1u);  // 2 moves to 0 by renaming, 0 moves to 2 likewise; one copy of 2
  EXPECT_EQ(copies[0].from, 2);
  EXPECT_EQ(copies[0].to, 1);  // the only destination slot no source needs
  EXPECT_EQ(copies[0].len, 12);
  s.commit(dst);
  EXPECT_EQ(s.length(0), 12);
  EXPECT_EQ(s.length(1), 12);
  EXPECT_EQ(s.length(2), 10);
  EXPECT_EQ(s.length(3), 13);  // untouched
  EXPECT_EQ(s.window(0), 1);
  EXPECT_EQ(s.window(1), 1);
  EXPECT_EQ(s.window(2), 0);
  std::set<int> phys;
  for (int q = 0; q < 4; ++q) phys.insert(s.phys(q));
  EXPECT_EQ(phys.size(), 4u);  // still a permutation

  // Identity and a pure permutation copy nothing.
  const std::vector<int> all{0, 1, 2, 3}, rotated{1, 2, 3, 0};
  EXPECT_TRUE(s.plan(all, all).empty());
  s.commit(all);
  EXPECT_TRUE(s.plan(all, rotated).empty());
  s.commit(all);
  EXPECT_EQ(s.length(0), 12);  // was sequence 1
  EXPECT_EQ(s.length(3), 12);  // was sequence 0
}

TEST(SequenceSlots, SourceOutsideTheDestinationsIsCopied) {
  SequenceSlots s(3);
  s.grow(2, 5);
  const std::vector<int> dst{0, 1}, src{2, 2};
  const auto copies = s.plan(dst, src);
  ASSERT_EQ(copies.size(), 2u);
  s.commit(dst);
  EXPECT_EQ(s.length(0), 5);
  EXPECT_EQ(s.length(1), 5);
  EXPECT_EQ(s.length(2), 5);
  EXPECT_NE(s.phys(0), s.phys(2));
}

TEST(SequenceSlots, RejectsBadPlans) {
  SequenceSlots s(2);
  const std::vector<int> two{0, 0}, one{0}, bad{5}, ok{0, 1};
  EXPECT_THROW(s.plan(two, ok), Error);  // destination twice
  EXPECT_THROW(s.plan(one, ok), Error);  // sizes differ
  EXPECT_THROW(s.plan(bad, one), Error);
  EXPECT_THROW(s.plan(one, bad), Error);
}

}  // namespace
}  // namespace tessera::decoder
