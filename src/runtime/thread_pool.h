// One persistent pool of worker threads. The calling thread takes part as worker 0, so a pool of
// size N runs N threads in all. No allocation per parallel_for. Idle workers watch for the next
// job for ~100 us before they sleep, and a job never waits for a worker that has not joined it
// by the time the caller has run out of tasks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/function_ref.h"

namespace tessera {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads <= 0: physical cores
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Calls fn(task, thread) for every task in [0, n_tasks); tasks are handed out dynamically.
  // `thread` is in [0, size()) and identifies per-thread scratch. Blocks until all are done.
  // Exceptions thrown by tasks are rethrown (the first one) on the calling thread.
  void run(int64_t n_tasks, FunctionRef<void(int64_t task, int thread)> fn);

  // Splits [0, n) into about size() contiguous chunks of `grain`-aligned length:
  // fn(begin, end, thread).
  void parallel_for(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t, int)> fn);

  // Jobs handed to worker threads so far, over every pool of the process (benchmarks count the
  // wake-ups a decoder step costs).
  static uint64_t dispatches();

 private:
  void worker(int index);
  void work(int thread);

  int size_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> generation_{0};  // bumped (under mu_) for every job and at shutdown
  int active_ = 0;                       // workers inside the current job (mu_)
  bool open_ = false;                    // the current job still takes workers (mu_)
  bool stop_ = false;                    // (mu_)
  // Current job.
  FunctionRef<void(int64_t, int)>* job_ = nullptr;
  int64_t n_tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;
  std::mutex error_mu_;
};

}  // namespace tessera
