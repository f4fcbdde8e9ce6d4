#include "base/task.h"

#include <gtest/gtest.h>

#include <coroutine>
#include <stdexcept>
#include <string>

#include "base/event_loop.h"
#include "base/result.h"
#include "base/sleep.h"

namespace polis {
namespace {

using namespace std::chrono_literals;

Task<int> answer() { co_return 42; }

Task<int> addOne(Task<int> inner) { co_return co_await std::move(inner) + 1; }

Task<Result<std::string>> failing() { co_return Error{Errc::kTimeout, "slow"}; }

Task<int> throwing() {
  throw std::runtime_error("boom");
  co_return 0;
}

// A manual event: resumes its waiter when fire() is called.
struct Gate {
  std::coroutine_handle<> waiter;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { waiter = h; }
  void await_resume() const noexcept {}
  void fire() { std::exchange(waiter, {}).resume(); }
};

TEST(Task, IsLazyUntilAwaited) {
  bool started = false;
  auto body = [&]() -> Task<void> {
    started = true;
    co_return;
  };
  Task<void> t = body();
  EXPECT_FALSE(started);
  spawn(std::move(t));
  EXPECT_TRUE(started);
}

TEST(Task, ValuesFlowThroughNestedAwaits) {
  int got = 0;
  spawn([&]() -> Task<void> { got = co_await addOne(addOne(answer())); }());
  EXPECT_EQ(got, 44);
}

TEST(Task, TypedErrorsComeBackAsResults) {
  Errc code = Errc::kOk;
  spawn([&]() -> Task<void> {
    auto r = co_await failing();
    code = r ? Errc::kOk : r.error().code;
  }());
  EXPECT_EQ(code, Errc::kTimeout);
}

TEST(Task, ExceptionsReachTheAwaiter) {
  std::string caught;
  spawn([&]() -> Task<void> {
    try {
      co_await throwing();
    } catch (const std::exception& e) {
      caught = e.what();
    }
  }());
  EXPECT_EQ(caught, "boom");
}

TEST(Task, SpawnReportsEscapedExceptionsInsteadOfTerminating) {
  std::string reported;
  spawn([]() -> Task<void> {
    co_await throwing();
  }(), [&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      reported = ex.what();
    }
  });
  EXPECT_EQ(reported, "boom");
}

TEST(Task, SuspendedTaskResumesLaterAndFreesItsFrame) {
  Gate gate;
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  bool done = false;
  spawn([](Gate& g, std::shared_ptr<int> keep, bool& d) -> Task<void> {
    co_await g;
    d = true;
  }(gate, std::move(alive), done));
  EXPECT_FALSE(done);
  EXPECT_FALSE(watch.expired());  // the frame holds it while suspended
  gate.fire();
  EXPECT_TRUE(done);
  EXPECT_TRUE(watch.expired());   // the detached frame freed itself
}

TEST(Task, SleepForResumesOnTheLoop) {
  EventLoop loop;
  auto start = std::chrono::steady_clock::now();
  bool woke = false;
  spawn([](EventLoop& l, bool& w) -> Task<void> {
    co_await sleepFor(l, 20ms);
    w = true;
    l.quit();
  }(loop, woke));
  loop.run();
  EXPECT_TRUE(woke);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 18ms);
}

}  // namespace
}  // namespace polis
