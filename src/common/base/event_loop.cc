#include "base/event_loop.h"

#include <event2/thread.h>

#include <cassert>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "base/guard.h"
#include "base/loop_clock.h"

namespace polis {
namespace {

constexpr auto kLagProbeInterval = std::chrono::milliseconds(100);

// libevent must know about pthreads before the first event_base is made, or
// event_active() from another thread is a data race. A peer that closes while
// we write must give EPIPE on that socket, not SIGPIPE for the whole process.
void initProcessOnce() {
  static const bool ok = [] {
    std::signal(SIGPIPE, SIG_IGN);
    if (evthread_use_pthreads() != 0) {
      std::fprintf(stderr, "polis: evthread_use_pthreads failed\n");
      std::abort();
    }
    return true;
  }();
  (void)ok;
}

timeval toTimeval(EventLoop::Duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  if (us < 0) us = 0;
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

}  // namespace

struct EventLoop::Timer {
  EventLoop* loop;
  TimerId id;
  bool repeat;
  std::function<void()> fn;
  EventPtr ev;
};

EventLoop::EventLoop() : thread_(std::this_thread::get_id()) {
  initProcessOnce();
  base_.reset(event_base_new());
  if (!base_) {
    std::fprintf(stderr, "polis: event_base_new failed\n");
    std::abort();
  }
  wakeup_.reset(event_new(base_.get(), -1, 0, &EventLoop::onWakeup, this));
}

EventLoop::~EventLoop() {
  // Timers and the wakeup event must go before the base they live in.
  timers_.clear();
  retired_timers_.clear();
  dropPosted();
  wakeup_.reset();
}

// Destroying queued work can queue more (a closure holding the last reference
// to a connection whose destructor posts): drain until nothing is left.
void EventLoop::dropPosted() {
  while (true) {
    std::vector<std::function<void()>> work;
    {
      std::lock_guard lock(mutex_);
      work.swap(posted_);
    }
    if (work.empty()) return;
  }
}

void EventLoop::assertInLoopThread() const {
  if (!inLoopThread()) {
    std::fprintf(stderr, "polis: EventLoop used from a thread that does not own it\n");
    std::abort();
  }
}

void EventLoop::run() {
  thread_ = std::this_thread::get_id();
  lag_expected_ = Clock::now() + kLagProbeInterval;
  TimerId probe = runEvery(kLagProbeInterval, [this] { probeLag(); });
  event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
  cancel(probe);
  runPosted();  // work queued just before quit() still runs
}

void EventLoop::quit() {
  post([this] { event_base_loopbreak(base_.get()); });
}

void EventLoop::post(std::function<void()> fn) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(fn));
    wake = !std::exchange(wakeup_pending_, true);
  }
  if (wake) event_active(wakeup_.get(), 0, 0);
}

void EventLoop::onWakeup(evutil_socket_t, short, void* arg) {
  static_cast<EventLoop*>(arg)->runPosted();
}

void EventLoop::runPosted() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(mutex_);
    work.swap(posted_);
    wakeup_pending_ = false;
  }
  retired_timers_.clear();
  loop_clock::refresh();
  for (auto& fn : work) guarded("posted task", fn);
}

TimerId EventLoop::runAfter(Duration delay, std::function<void()> fn) {
  return addTimer(delay, false, std::move(fn));
}

TimerId EventLoop::runEvery(Duration interval, std::function<void()> fn) {
  return addTimer(interval, true, std::move(fn));
}

TimerId EventLoop::addTimer(Duration delay, bool repeat, std::function<void()> fn) {
  assertInLoopThread();
  auto timer = std::make_unique<Timer>();
  timer->loop = this;
  timer->id = next_timer_id_++;
  timer->repeat = repeat;
  timer->fn = std::move(fn);
  timer->ev.reset(event_new(base_.get(), -1, repeat ? EV_PERSIST : 0, &EventLoop::onTimer, timer.get()));
  timeval tv = toTimeval(delay);
  event_add(timer->ev.get(), &tv);
  TimerId id = timer->id;
  timers_.emplace(id, std::move(timer));
  return id;
}

void EventLoop::cancel(TimerId id) {
  assertInLoopThread();
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  event_del(it->second->ev.get());
  retired_timers_.push_back(std::move(it->second));
  timers_.erase(it);
  // Freed on the next turn: the timer may be the one whose callback is running.
  post([] {});
}

void EventLoop::onTimer(evutil_socket_t, short, void* arg) {
  auto* timer = static_cast<Timer*>(arg);
  EventLoop* loop = timer->loop;
  TimerId id = timer->id;
  if (!timer->repeat) {
    // One-shot: retire first so the callback may cancel (a no-op) or add timers freely.
    auto it = loop->timers_.find(id);
    loop->retired_timers_.push_back(std::move(it->second));
    loop->timers_.erase(it);
    loop->post([] {});
  }
  loop_clock::refresh();
  guarded("timer", timer->fn);
}

void EventLoop::probeLag() {
  auto now = Clock::now();
  double lag = std::chrono::duration<double>(now - lag_expected_).count();
  lag_seconds_.store(lag > 0 ? lag : 0, std::memory_order_relaxed);
  lag_expected_ = now + kLagProbeInterval;
}

}  // namespace polis
