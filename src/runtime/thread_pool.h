// One persistent pool of worker threads. The calling thread takes part as worker 0, so a pool of
// size N runs N threads in all. No allocation per parallel_for.
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

 private:
  void worker(int index);
  void work(int thread);

  int size_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  int active_ = 0;
  bool stop_ = false;
  // Current job.
  FunctionRef<void(int64_t, int)>* job_ = nullptr;
  int64_t n_tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;
  std::mutex error_mu_;
};

}  // namespace tessera
