// EventLoop: one libevent event_base driven by one thread.
//
// Threads: construct and run() on the same thread (the loop thread). post()
// and quit() are safe from any thread; everything else is loop-thread only
// (methods assert it). Timers and posted work run on the loop thread, each
// behind an exception boundary (base/guard.h) and with the loop clock
// (base/loop_clock.h) refreshed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/libevent_handles.h"

namespace polis {

using TimerId = uint64_t;  // 0 is never a valid id

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = std::chrono::steady_clock::duration;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until quit(). Returns after the posted work queued before quit ran.
  void run();
  void quit();

  // Queues `fn` to run on the loop thread on a later turn (never inline).
  // Work still queued when the loop is destroyed is dropped, not run.
  void post(std::function<void()> fn);

  TimerId runAfter(Duration delay, std::function<void()> fn);
  TimerId runEvery(Duration interval, std::function<void()> fn);
  // Safe for ids that already fired or were cancelled; safe inside the timer's own callback.
  void cancel(TimerId id);

  bool inLoopThread() const { return std::this_thread::get_id() == thread_; }
  void assertInLoopThread() const;
  event_base* base() const { return base_.get(); }

  // How late the loop's 100 ms probe timer fired last time: a measure of how
  // long callbacks hold the loop. Safe from any thread.
  double lagSeconds() const { return lag_seconds_.load(std::memory_order_relaxed); }

 private:
  struct Timer;
  static void onTimer(evutil_socket_t, short, void* arg);
  static void onWakeup(evutil_socket_t, short, void* arg);
  TimerId addTimer(Duration delay, bool repeat, std::function<void()> fn);
  void runPosted();
  void dropPosted();
  void probeLag();

  std::thread::id thread_;
  EventBasePtr base_;
  EventPtr wakeup_;
  std::mutex mutex_;
  std::vector<std::function<void()>> posted_;  // guarded by mutex_
  bool wakeup_pending_ = false;                // guarded by mutex_

  TimerId next_timer_id_ = 1;
  std::unordered_map<TimerId, std::unique_ptr<Timer>> timers_;
  // Timers cancelled or finished inside their own callback are freed here on
  // the next turn, never inside the callback that is running.
  std::vector<std::unique_ptr<Timer>> retired_timers_;
  Clock::time_point lag_expected_{};
  std::atomic<double> lag_seconds_{0};
};

}  // namespace polis
