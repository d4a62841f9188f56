#include "pipeline/python_text.h"

#include <gtest/gtest.h>

#include "tessera/error.h"

namespace tessera::pipeline {
namespace {

TEST(PythonText, StripRemovesUnicodeWhitespaceOnly) {
  EXPECT_EQ(py_strip("  hello world \n"), "hello world");
  EXPECT_EQ(py_strip("\xc2\xa0\xe3\x80\x80x\xe2\x80\x83"), "x");  // NBSP, ideographic, em space
  EXPECT_EQ(py_strip("\xe2\x80\x8b"
                     "x"),
            "\xe2\x80\x8b"
            "x");  // zero-width space is not space
  EXPECT_EQ(py_strip(" \t "), "");
  EXPECT_EQ(py_strip(""), "");
  EXPECT_EQ(py_strip(" \xff "), "\xff");        // invalid UTF-8 is kept, not read past
  EXPECT_EQ(py_strip("\xe3\x80"), "\xe3\x80");  // truncated sequence at the end
}

TEST(PythonText, RoundHalfToEven) {
  EXPECT_EQ(py_round(0.5), 0);
  EXPECT_EQ(py_round(1.5), 2);
  EXPECT_EQ(py_round(2.5), 2);
  EXPECT_EQ(py_round(-0.5), 0);
  EXPECT_EQ(py_round(2.4999), 2);
  EXPECT_EQ(py_round(123.6), 124);
}

TEST(PythonText, TailSlicesLikePython) {
  const std::vector<int> v{1, 2, 3, 4};
  EXPECT_EQ(py_tail(v, 2), (std::vector<int>{3, 4}));
  EXPECT_EQ(py_tail(v, 10), v);
  EXPECT_EQ(py_tail(v, 0), v);                             // [-0:] is the whole list
  EXPECT_EQ(py_tail(v, -1), (std::vector<int>{2, 3, 4}));  // [1:]
  EXPECT_EQ(py_tail(v, -9), std::vector<int>{});
}

TEST(PythonText, ClipTimestamps) {
  EXPECT_EQ(parse_clip_timestamps("0"), std::vector<double>{0.0});
  EXPECT_EQ(parse_clip_timestamps("1.5, 10"), (std::vector<double>{1.5, 10.0}));
  EXPECT_TRUE(parse_clip_timestamps("").empty());
  EXPECT_THROW(parse_clip_timestamps("1,abc"), Error);
  EXPECT_THROW(parse_clip_timestamps("1,,2"), Error);
  EXPECT_THROW(parse_clip_timestamps("-3"), Error);
  EXPECT_THROW(parse_clip_timestamps("nan"), Error);
}

}  // namespace
}  // namespace tessera::pipeline
