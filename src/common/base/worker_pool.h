// WorkerPool: CPU-heavy or blocking work (password hashing, say) on a fixed
// set of threads, its result delivered back on the loop thread, so the loop
// never runs it. The queue is bounded: past `max_queue` waiting jobs, run()
// fails at once with kUnavailable, so a flood is refused (a login node answers
// 429) instead of growing a backlog nobody will wait for.
//
//   Result<std::string> hash = co_await pool.run<std::string>([pw] { return hashPassword(pw); });
//
// Threads: construct, run() and destroy on the loop thread. `work` runs on a
// worker and must touch nothing but what it captured by value. The destructor
// stops and joins the workers; jobs still queued are dropped unrun (their
// awaiting coroutines are cancelled at shutdown anyway, and a late delivery
// resumes nothing: base/completion.h).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/completion.h"
#include "base/event_loop.h"
#include "base/result.h"

namespace polis {

class WorkerPool {
 public:
  // `name` labels the pool's gauges: polis_worker_pool_{queued,running}{pool="<name>"}.
  WorkerPool(EventLoop& loop, std::string name, size_t threads, size_t max_queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // An exception thrown by `work` becomes a kInternal error.
  template <class T>
  Completion<Result<T>> run(std::function<Result<T>()> work) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
    auto made = Completion<Result<T>>::make();
    auto deliver = made.second;
    bool queued = submit([work = std::move(work), deliver]() mutable -> std::function<void()> {
      auto result = std::make_shared<Result<T>>(runGuarded(work));
      return [deliver = std::move(deliver), result] { deliver(std::move(*result)); };
    });
    if (!queued) {
      // Full: fail on a later loop turn, never inside the caller's own call.
      loop_.post([deliver, why = fullError()] { deliver(Result<T>(why)); });
    }
    return std::move(made.first);
  }

  size_t queued() const;
  size_t running() const;  // jobs on a worker now

 private:
  // Runs on a worker; returns what to run on the loop thread.
  using Job = std::function<std::function<void()>()>;

  template <class T>
  static Result<T> runGuarded(std::function<Result<T>()>& work) {
    try {
      return work();
    } catch (const std::exception& e) {
      return Error{Errc::kInternal, std::string("worker job failed: ") + e.what()};
    }
  }
  bool submit(Job job);
  Error fullError() const;  // the refusal when the queue is full
  void workerMain();

  EventLoop& loop_;
  std::string name_;
  size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;  // guarded by mutex_
  size_t running_ = 0;     // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace polis
