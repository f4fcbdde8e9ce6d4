#include "base/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "base/run_until.h"
#include "base/task.h"

namespace polis {
namespace {

using namespace std::chrono_literals;

// Parameters, not lambda captures: they live in the coroutine's own frame.
Task<void> collect(WorkerPool& pool, std::function<Result<int>()> work, std::vector<Result<int>>& results,
                   int& finished) {
  auto pending = pool.run<int>(std::move(work));  // named first: docs/architecture.md, co_await and temporaries
  results.push_back(co_await std::move(pending));
  ++finished;
}

TEST(WorkerPool, WorkRunsOffTheLoopAndItsResultComesBackOnIt) {
  EventLoop loop;
  WorkerPool pool(loop, "test", 2, 8);
  auto loop_thread = std::this_thread::get_id();
  std::thread::id worked_on, resumed_on;
  Result<int> got = Error{Errc::kInternal, "not yet"};
  bool done = false;
  auto body = [&]() -> Task<void> {  // a named lambda: it outlives the coroutine it starts
    std::function<Result<int>()> job = [&worked_on]() -> Result<int> {
      worked_on = std::this_thread::get_id();
      return 42;
    };
    auto pending = pool.run<int>(std::move(job));
    got = co_await std::move(pending);
    resumed_on = std::this_thread::get_id();
    done = true;
  };
  spawn(body());
  ASSERT_TRUE(runLoopUntil(loop, [&] { return done; }, 5s));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 42);
  EXPECT_NE(worked_on, loop_thread);
  EXPECT_EQ(resumed_on, loop_thread);
}

TEST(WorkerPool, AnExceptionIsAnInternalErrorAndAFullQueueRefusesAtOnce) {
  EventLoop loop;
  WorkerPool pool(loop, "tiny", 1, 1);
  std::atomic<bool> release{false};
  int finished = 0;
  std::vector<Result<int>> results;
  auto submit = [&](std::function<Result<int>()> work) { spawn(collect(pool, std::move(work), results, finished)); };
  // One blocks the only worker until released; then the queue (1) fills; the rest are refused.
  submit([&]() -> Result<int> {
    while (!release) std::this_thread::sleep_for(1ms);
    throw std::runtime_error("boom");
  });
  ASSERT_TRUE(runLoopUntil(loop, [&] { return pool.running() == 1; }, 5s));
  submit([]() -> Result<int> { return 7; });
  for (int i = 0; i < 5; ++i) submit([]() -> Result<int> { return 0; });
  ASSERT_TRUE(runLoopUntil(loop, [&] { return finished == 5; }, 5s)) << "refusals come without waiting";
  for (const auto& r : results) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kUnavailable);
    EXPECT_NE(r.error().message.find("tiny is busy"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(pool.queued(), 1u);
  release = true;
  ASSERT_TRUE(runLoopUntil(loop, [&] { return finished == 7; }, 5s));
  ASSERT_FALSE(results[5]);
  EXPECT_EQ(results[5].error().code, Errc::kInternal);
  EXPECT_NE(results[5].error().message.find("boom"), std::string::npos);
  ASSERT_TRUE(results[6]);
  EXPECT_EQ(*results[6], 7);
}

}  // namespace
}  // namespace polis
