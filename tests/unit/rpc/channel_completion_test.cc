// Every call gets exactly one completion, at a safe moment: a handler that
// throws before taking its call still answers (internal error, at once), and
// calls failed by close() complete on a later loop turn, never inside close()
// (and never at all if the loop goes first).
#include "base/metrics.h"
#include "rpc_test_support.h"

namespace polis::rpc::testing {
namespace {

constexpr MethodInfo kThrowsAtOnce{950, "Test.ThrowsAtOnce", false};
constexpr MethodInfo kThrowsAtOnceNotify{951, "Test.ThrowsAtOnceNotify", true};
constexpr MethodInfo kTakesThenThrows{952, "Test.TakesThenThrows", false};

uint64_t callbackExceptions(const std::string& callback) {
  return metrics::Registry::global()
      .counter("polis_callback_exceptions_total", "Exceptions caught at an event-callback boundary, by callback.",
               {{"callback", callback}})
      .value();
}

class ThrowingHandlerTest : public RpcServerOptionsTest {
 protected:
  void SetUp() override {
    RpcTest::SetUp();
    // A cap of 2: a throwing handler that kept its in-flight slot would
    // stall the channel after two calls.
    ChannelOptions o = options("server");
    o.max_inflight_requests = 2;
    ASSERT_NO_FATAL_FAILURE(restartServer(o));
    auto table = std::make_shared<HandlerTable>();
    impl.bindTo(*table);
    table->add(kThrowsAtOnce, [](Incoming&&) { throw std::runtime_error("thrown before taking the call"); });
    table->add(kThrowsAtOnceNotify, [this](Incoming&&) {
      ++notify_throws;
      throw std::runtime_error("notify handler thrown");
    });
    table->add(kTakesThenThrows, [](Incoming&& in) {
      Incoming mine = std::move(in);  // took the call; unwinding destroys it
      throw std::logic_error("thrown after taking the call");
    });
    server_dispatcher.install(table);
    ASSERT_NO_FATAL_FAILURE(connect());
  }

  Result<EchoMsg> callNow(const MethodInfo& info) {
    auto out = outcome();
    callUnary<EchoMsg>(client->channel(), info, echoMsg("?"), into(out));
    if (!runUntil(loop, [&] { return out->has_value(); })) return Error{Errc::kInternal, "test watchdog fired"};
    return std::move(**out);
  }

  int notify_throws = 0;
};

TEST_F(ThrowingHandlerTest, CallerGetsAnInternalErrorAtOnce) {
  uint64_t caught = callbackExceptions(std::string(kThrowsAtOnce.name));
  auto start = std::chrono::steady_clock::now();
  auto r = callNow(kThrowsAtOnce);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInternal) << r.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "answered by the timeout, not by the handler's failure";
  EXPECT_EQ(callbackExceptions(std::string(kThrowsAtOnce.name)), caught + 1);
  auto ok = echoNow(echoMsg("still serving"));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(ok->payload(), "still serving");
}

TEST_F(ThrowingHandlerTest, ThrowingHandlersGiveBackTheirInFlightSlots) {
  for (int i = 0; i < 6; ++i) {
    auto r = callNow(i % 2 ? kThrowsAtOnce : kTakesThenThrows);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kInternal) << i << ": " << r.error().describe();
  }
  auto ch = server_channel.lock();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->inboundInflight(), 0u);
  EXPECT_EQ(server_dispatcher.inflight(), 0);
  auto ok = echoNow(echoMsg("after six throws"));
  ASSERT_TRUE(ok.ok()) << ok.error().describe() << " (the cap of 2 would stall a channel that leaked slots)";
}

TEST_F(ThrowingHandlerTest, ThrowingNotifyHandlerIsCountedAndTheChannelServesOn) {
  uint64_t caught = callbackExceptions(std::string(kThrowsAtOnceNotify.name));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(sendNotify(client->channel(), kThrowsAtOnceNotify, echoMsg("n")).ok());
  ASSERT_TRUE(runUntil(loop, [&] { return notify_throws == 4; }));
  EXPECT_EQ(callbackExceptions(std::string(kThrowsAtOnceNotify.name)), caught + 4);
  auto ok = echoNow(echoMsg("after"));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(server_channel.lock()->inboundInflight(), 0u);
}

using CloseCompletionTest = RpcTest;

TEST_F(CloseCompletionTest, PendingCallIsCompletedOnTheNextTurnNotInsideClose) {
  ASSERT_NO_FATAL_FAILURE(connect());
  impl.delay = 500ms;
  auto out = outcome();
  auto channel = client->channel();
  stub().Echo(echoMsg("pending"), into(out));
  ASSERT_TRUE(runUntil(loop, [&] { return impl.started == 1; }));

  channel->close("closed by test");
  EXPECT_FALSE(out->has_value()) << "the call was completed inside close()";
  EXPECT_EQ(channel->pendingCalls(), 0u) << "close() must take the call off the channel at once";
  // Posted after the close: runs on the first turn after it, after the
  // completions close() queued.
  auto seen_on_next_turn = std::make_shared<bool>(false);
  loop.post([out, seen_on_next_turn] { *seen_on_next_turn = out->has_value(); });
  ASSERT_TRUE(runUntil(loop, [&] { return out->has_value(); }, 200ms));
  EXPECT_TRUE(*seen_on_next_turn) << "the completion was not on the next loop turn";
  ASSERT_FALSE(out->value().ok());
  EXPECT_EQ(out->value().error().code, Errc::kConnectionLost) << out->value().error().describe();
}

TEST_F(CloseCompletionTest, CompletionMayCallOnTheChannelThatClosed) {
  ASSERT_NO_FATAL_FAILURE(connect());
  impl.delay = 500ms;
  auto channel = client->channel();
  auto retried = outcome();
  bool first_done = false;
  stub().Echo(echoMsg("first"), [&, channel, retried](Result<EchoMsg> r) {
    first_done = true;
    EXPECT_EQ(r.error().code, Errc::kConnectionLost);
    // The closed channel refuses at once; nothing re-enters close().
    gen::Echo::Stub(channel).Echo(echoMsg("again"), into(retried));
  });
  ASSERT_TRUE(runUntil(loop, [&] { return impl.started == 1; }));
  channel->close("closed by test");
  ASSERT_TRUE(runUntil(loop, [&] { return first_done && retried->has_value(); }));
  EXPECT_EQ(retried->value().error().code, Errc::kUnavailable);
}

// The loop goes before the queued completion runs: it is dropped (destroyed,
// not run), and nothing it holds leaks.
TEST(CloseCompletionOrder, CompletionsStillQueuedWhenTheLoopGoesAreDropped) {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  bool ran = false;
  {
    EventLoop loop;
    Dispatcher server_dispatcher, client_dispatcher;
    // The server takes the call and holds it unanswered (no coroutine to clean up).
    std::vector<Incoming> held;
    auto table = std::make_shared<HandlerTable>();
    table->add(gen::Echo::kEcho, [&held](Incoming&& in) { held.push_back(std::move(in)); });
    server_dispatcher.install(table);
    ChannelOptions so;
    so.local_name = "server";
    so.secret = kSecret;
    RpcServer server(loop, server_dispatcher, so, "127.0.0.1", 0);
    auto port = server.start();
    ASSERT_TRUE(port.ok());
    ChannelOptions co = so;
    co.local_name = "client";
    RpcClient client(loop, client_dispatcher, co, "127.0.0.1", *port);
    client.start([](const Channel::Ptr&) {});
    ASSERT_TRUE(runUntil(loop, [&] { return client.channel() != nullptr; }));
    auto channel = client.channel();
    gen::Echo::Stub(channel).Echo(echoMsg("x"), [&ran, t = std::move(token)](Result<EchoMsg>) { ran = true; });
    ASSERT_TRUE(runUntil(loop, [&] { return held.size() == 1; }));
    channel->close("closed by test");
    EXPECT_FALSE(watch.expired()) << "the completion is queued, holding its captures";
  }
  EXPECT_FALSE(ran) << "a completion ran after its loop was destroyed";
  EXPECT_TRUE(watch.expired()) << "the dropped completion's captures leaked";
}

}  // namespace
}  // namespace polis::rpc::testing
