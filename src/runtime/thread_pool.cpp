#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "tessera/cpu_features.h"

namespace tessera {
namespace {

std::atomic<uint64_t> g_dispatches{0};

// How long an idle worker watches for the next job before it sleeps (100 us). A decoder step hands
// out dozens of small jobs microseconds apart; a worker that is still awake takes the next one
// without a futex wake-up (tens of microseconds, and much more on a loaded machine). After the
// first kSpinHot it yields between looks, so on an oversubscribed machine the watching costs the
// threads that have work (the caller among them) next to nothing.
// TESSERA_POOL_SPIN_US overrides the watch (0: sleep at once), for measuring what it is worth.
std::chrono::microseconds spin_time() {
  static const std::chrono::microseconds t = [] {
    const char* env = std::getenv("TESSERA_POOL_SPIN_US");
    return std::chrono::microseconds(env && *env ? std::max(0L, std::atol(env)) : 100L);
  }();
  return t;
}
constexpr auto kSpinHot = std::chrono::microseconds(10);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

uint64_t ThreadPool::dispatches() {
  return g_dispatches.load(std::memory_order_relaxed);
}

ThreadPool::ThreadPool(int threads)
    : size_(threads > 0 ? threads : std::max(1, cpu_features().physical_cores)) {
  workers_.reserve(size_ - 1);
  for (int i = 1; i < size_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work(int thread) {
  for (;;) {
    int64_t task = next_.fetch_add(1, std::memory_order_relaxed);
    if (task >= n_tasks_) return;
    try {
      (*job_)(task, thread);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu_);
      if (!error_) error_ = std::current_exception();
      next_.store(n_tasks_, std::memory_order_relaxed);  // stop handing out work
    }
  }
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    // Watch for the next job for a moment, then sleep until one is posted.
    const auto start = std::chrono::steady_clock::now();
    const auto spin = spin_time();
    bool hot = true;
    for (int i = 0; spin.count() > 0 && generation_.load(std::memory_order_acquire) == seen; ++i) {
      if (hot) {
        cpu_relax();
      } else {
        std::this_thread::yield();
      }
      if ((i & 63) == 63 || !hot) {
        const auto waited = std::chrono::steady_clock::now() - start;
        if (waited > spin) break;
        hot = waited < kSpinHot;
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
    if (stop_) return;
    seen = generation_.load(std::memory_order_relaxed);
    // A job the caller has already finished alone is closed: joining it would make the caller
    // wait for a thread that came too late to help.
    if (!open_) continue;
    ++active_;
    lock.unlock();
    work(index);
    lock.lock();
    if (--active_ == 0 && !open_) done_.notify_one();
  }
}

void ThreadPool::run(int64_t n_tasks, FunctionRef<void(int64_t task, int thread)> fn) {
  if (n_tasks <= 0) return;
  if (size_ == 1 || n_tasks == 1) {
    for (int64_t t = 0; t < n_tasks; ++t) fn(t, 0);
    return;
  }
  g_dispatches.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    n_tasks_ = n_tasks;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    open_ = true;
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  work(0);
  {
    std::unique_lock<std::mutex> lock(mu_);
    open_ = false;  // workers that have not joined yet stay out
    done_.wait(lock, [&] { return active_ == 0; });
    job_ = nullptr;
  }
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::parallel_for(int64_t n, int64_t grain,
                              FunctionRef<void(int64_t, int64_t, int)> fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int64_t units = (n + grain - 1) / grain;
  int64_t chunks = std::min<int64_t>(units, size_);
  int64_t per = (units + chunks - 1) / chunks;
  run(chunks, [&](int64_t c, int thread) {
    int64_t b = c * per * grain, e = std::min(n, (c + 1) * per * grain);
    if (b < e) fn(b, e, thread);
  });
}

}  // namespace tessera
