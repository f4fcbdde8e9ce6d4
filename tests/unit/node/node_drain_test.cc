// Node's drain with real sockets, in one process: work in flight when the
// drain starts finishes (its caller gets the answer), drain hooks are waited
// for, and run() returns 0. A standalone node (no centers) keeps it local.
#include "node/node.h"

#include <gtest/gtest.h>

#include "base/sleep.h"
#include "polis/bench.polis.h"
#include "rpc/rpc_client.h"
#include "rpc/stub.h"
#include "support/loop_runner.h"

namespace polis {
namespace {

using namespace std::chrono_literals;

class SlowEcho final : public gen::Echo::Service {
 public:
  SlowEcho(EventLoop& loop, std::chrono::milliseconds delay) : loop_(loop), delay_(delay) {}
  std::function<void()> on_start;

  Task<Result<EchoMsg>> Echo(Call&, const EchoMsg& req) override {
    EchoMsg resp = req;
    if (on_start) on_start();
    co_await sleepFor(loop_, delay_);
    finished = true;
    co_return resp;
  }
  bool finished = false;
  Task<void> Push(Call&, const EchoMsg&) override { co_return; }

 private:
  EventLoop& loop_;
  std::chrono::milliseconds delay_;
};

NodeConfig testConfig(std::chrono::milliseconds drain_timeout) {
  NodeConfig c;
  c.role = "lobby";
  c.name = "drain-test";
  c.secret = "drain-test-secret-0123";
  c.drain_timeout = drain_timeout;
  return c;
}

struct Outcome {
  std::optional<Result<EchoMsg>> reply;
  std::chrono::steady_clock::time_point drain_started;
  std::chrono::steady_clock::time_point exited;
};

// Starts `node`, makes one slow call, drains as soon as the handler runs,
// and expects run() to return `exit_code`.
Outcome drainWithACallInFlight(Node& node, SlowEcho& echo, int exit_code = Node::kExitDrained) {
  Outcome out;
  rpc::Dispatcher client_dispatcher;
  std::unique_ptr<rpc::RpcClient> client;
  echo.on_start = [&] {
    out.drain_started = std::chrono::steady_clock::now();
    node.drain();
  };
  // Posted before run(): runs once the node has bound its ports.
  node.loop().post([&] {
    rpc::ChannelOptions o;
    o.local_name = "caller";
    o.secret = node.config().secret;
    client = std::make_unique<rpc::RpcClient>(node.loop(), client_dispatcher, o, "127.0.0.1",
                                              node.rpcServer().port());
    client->start([&](const rpc::Channel::Ptr& ch) {
      EchoMsg req;
      req.set_payload("in flight");
      gen::Echo::Stub(ch).Echo(req, [&](Result<EchoMsg> r) { out.reply.emplace(std::move(r)); });
    });
  });
  node.loop().runAfter(5s, [&] { ADD_FAILURE() << "watchdog: the node did not exit"; node.loop().quit(); });
  int code = node.run();
  out.exited = std::chrono::steady_clock::now();
  client.reset();
  EXPECT_EQ(code, exit_code);
  return out;
}

TEST(NodeDrain, CallInFlightFinishesBeforeTheNodeExits) {
  Node node(testConfig(5s));
  node.standalone();
  SlowEcho echo(node.loop(), 300ms);
  node.addService(echo);
  Outcome out = drainWithACallInFlight(node, echo);
  ASSERT_TRUE(out.reply.has_value()) << "the caller never heard back";
  ASSERT_TRUE(out.reply->ok()) << out.reply->error().describe();
  EXPECT_EQ((*out.reply)->payload(), "in flight");
  EXPECT_GE(out.exited - out.drain_started, 280ms) << "exited before the in-flight call finished";
  EXPECT_EQ(node.state(), NODE_DRAINING);
}

TEST(NodeDrain, DrainTimeoutBoundsASlowCall) {
  Node node(testConfig(100ms));
  node.standalone();
  SlowEcho echo(node.loop(), 1s);
  node.addService(echo);
  Outcome out = drainWithACallInFlight(node, echo, Node::kExitForced);
  EXPECT_LT(out.exited - out.drain_started, 800ms) << "the drain timeout did not bound the wait";
  EXPECT_FALSE(echo.finished);
  // Let the abandoned handler finish (its reply is dropped), so its coroutine
  // frame is freed rather than reported as a leak by the sanitizer pass.
  EXPECT_TRUE(testing::runUntil(node.loop(), [&] { return echo.finished; }));
}

TEST(NodeDrain, WaitsForDrainHooks) {
  Node node(testConfig(5s));
  node.standalone();
  std::chrono::steady_clock::time_point hook_done{};
  node.onDrain([&](std::function<void()> done) {
    node.loop().runAfter(200ms, [&, done] {
      hook_done = std::chrono::steady_clock::now();
      done();
    });
  });
  node.loop().post([&] { node.drain(); });
  node.loop().runAfter(5s, [&] { ADD_FAILURE() << "watchdog"; node.loop().quit(); });
  EXPECT_EQ(node.run(), 0);
  EXPECT_NE(hook_done, std::chrono::steady_clock::time_point{}) << "exited before the drain hook finished";
}

}  // namespace
}  // namespace polis
