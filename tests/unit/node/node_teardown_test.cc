// ~Node's teardown order (node.h): suspended detached coroutines are
// destroyed first, then the role's adopted parts, the loop last. And a second
// drain() cuts the drain short with kExitForced. Run under ASan: an order
// that is wrong shows up as a use after free.
#include "node/node.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/sleep.h"
#include "support/loop_runner.h"

namespace polis {
namespace {

using namespace std::chrono_literals;

NodeConfig testConfig(std::chrono::milliseconds drain_timeout = 5s) {
  NodeConfig c;
  c.role = "lobby";
  c.name = "teardown-test";
  c.secret = "teardown-test-secret-0123";
  c.drain_timeout = drain_timeout;
  return c;
}

// A role object that owns a loop timer and cancels it when destroyed: the
// loop must still exist then.
class TimerOwner {
 public:
  TimerOwner(EventLoop& loop, std::vector<std::string>& log, std::string name)
      : loop_(loop), log_(log), name_(std::move(name)) {
    timer_ = loop_.runAfter(1h, [] {});
  }
  ~TimerOwner() {
    loop_.cancel(timer_);  // touches the loop: a use after free if the loop went first
    log_.push_back(name_);
    alive = false;
  }
  bool alive = true;

 private:
  EventLoop& loop_;
  std::vector<std::string>& log_;
  std::string name_;
  TimerId timer_ = 0;
};

struct OnDestroy {
  std::function<void()> fn;
  ~OnDestroy() { fn(); }
};

// A handler-like coroutine suspended at shutdown that still points at a part.
Task<void> usesPart(EventLoop& loop, TimerOwner& part, std::vector<std::string>& log, bool* part_alive_at_cancel) {
  OnDestroy local{[&part, &log, part_alive_at_cancel] {
    *part_alive_at_cancel = part.alive;
    log.push_back("coroutine");
  }};
  co_await sleepFor(loop, 1h);
}

TEST(NodeTeardown, CoroutinesGoFirstThenAdoptedPartsThenTheLoop) {
  std::vector<std::string> log;
  bool part_alive_at_cancel = false;
  {
    Node node(testConfig());
    auto& first = node.adopt(std::make_unique<TimerOwner>(node.loop(), log, "first part"));
    node.adopt(std::make_unique<TimerOwner>(node.loop(), log, "second part"));
    spawn(usesPart(node.loop(), first, log, &part_alive_at_cancel));
    EXPECT_EQ(detachedTaskCount(), 1u);
  }
  EXPECT_TRUE(part_alive_at_cancel) << "an adopted part was destroyed before the coroutine pointing at it";
  EXPECT_EQ(log, (std::vector<std::string>{"coroutine", "second part", "first part"}));
  EXPECT_EQ(detachedTaskCount(), 0u);
}

TEST(NodeTeardown, AdoptedPartsAreDestroyedBeforeTheLoopAfterARun) {
  std::vector<std::string> log;
  {
    Node node(testConfig());
    node.standalone();
    node.adopt(std::make_unique<TimerOwner>(node.loop(), log, "part"));
    node.loop().post([&] { node.drain(); });
    node.loop().runAfter(5s, [&] { ADD_FAILURE() << "watchdog: the node did not exit"; node.loop().quit(); });
    EXPECT_EQ(node.run(), Node::kExitDrained);
  }
  EXPECT_EQ(log, (std::vector<std::string>{"part"}));
}

TEST(NodeTeardown, SecondDrainExitsForced) {
  Node node(testConfig(5s));
  node.standalone();
  // A drain hook that never reports done: only the second drain() ends the run.
  std::function<void()> never_called;
  node.onDrain([&](std::function<void()> done) { never_called = std::move(done); });
  std::chrono::steady_clock::time_point second_drain{};
  node.loop().post([&] { node.drain(); });
  node.loop().runAfter(100ms, [&] {
    second_drain = std::chrono::steady_clock::now();
    node.drain();
  });
  node.loop().runAfter(5s, [&] { ADD_FAILURE() << "watchdog: the node did not exit"; node.loop().quit(); });
  EXPECT_EQ(node.run(), Node::kExitForced);
  ASSERT_NE(second_drain, std::chrono::steady_clock::time_point{}) << "exited before the second drain";
  EXPECT_LT(std::chrono::steady_clock::now() - second_drain, 500ms) << "the second drain did not exit at once";
  EXPECT_TRUE(never_called) << "the drain hook was not called";
  EXPECT_EQ(node.state(), NODE_DRAINING);
}

TEST(NodeTeardown, DrainTimeoutAloneAlsoExitsForced) {
  Node node(testConfig(100ms));
  node.standalone();
  std::function<void()> never_called;
  node.onDrain([&](std::function<void()> done) { never_called = std::move(done); });
  node.loop().post([&] { node.drain(); });
  node.loop().runAfter(5s, [&] { ADD_FAILURE() << "watchdog: the node did not exit"; node.loop().quit(); });
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(node.run(), Node::kExitForced);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

}  // namespace
}  // namespace polis
