#include "runtime/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tessera {
namespace {

TEST(ThreadPool, RunsEveryTaskOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    std::vector<std::atomic<int>> hits(1000);
    pool.run(1000, [&](int64_t t, int thread) {
      EXPECT_GE(thread, 0);
      EXPECT_LT(thread, threads);
      hits[t].fetch_add(1);
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, ParallelForCoversRangeWithGrain) {
  ThreadPool pool(2);
  for (int64_t n : {1, 7, 64, 65, 1500}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallel_for(n, 16, [&](int64_t b, int64_t e, int) {
      EXPECT_EQ(b % 16, 0);
      for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, ZeroTasksIsANoOp) {
  ThreadPool pool(2);
  int calls = 0;
  pool.run(0, [&](int64_t, int) { ++calls; });
  pool.parallel_for(0, 1, [&](int64_t, int64_t, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPool, RethrowsTaskExceptionAndStaysUsable) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.run(100,
                        [&](int64_t t, int) {
                          if (t == 37) throw std::runtime_error("task 37 failed");
                        }),
               std::runtime_error);
  std::atomic<int> n{0};
  pool.run(10, [&](int64_t, int) { n++; });
  EXPECT_EQ(n.load(), 10);
}

TEST(ThreadPool, ManySmallJobsInARow) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  for (int i = 0; i < 2000; ++i) pool.run(2, [&](int64_t t, int) { sum += t + 1; });
  EXPECT_EQ(sum.load(), 2000 * 3);
}

// Jobs whose tasks are uneven (one long task: the other thread may finish the rest, or join late
// and find nothing left) and jobs posted after idle spells longer than the workers' watch (they
// have gone to sleep) each run every task exactly once.
TEST(ThreadPool, JobsAfterIdleSpellsAndUnevenTasks) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  for (int round = 0; round < 20; ++round) {
    if (round % 5 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    pool.run(3, [&](int64_t t, int) {
      if (t == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
      sum += t + 1;
    });
  }
  EXPECT_EQ(sum.load(), 20 * 6);
}

}  // namespace
}  // namespace tessera
