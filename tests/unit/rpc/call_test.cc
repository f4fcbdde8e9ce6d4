// Calls that succeed: both stub forms, route keys, notifies, calls from the
// accepting side, reconnects, pipelining, and a handler-table hot swap.
#include "rpc_fixture.h"

namespace polis::rpc::testing {
namespace {

class RpcCallTest : public RpcTest {
 protected:
  void SetUp() override {
    RpcTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(connect());
  }
};

TEST_F(RpcCallTest, CoAwaitedEchoReturnsThePayload) {
  std::optional<Result<EchoMsg>> out;
  spawn(awaitEcho(stub(), echoMsg("hello", 42), {}, &out));
  ASSERT_TRUE(runUntil(loop, [&] { return out.has_value(); }));
  ASSERT_TRUE(out->ok()) << out->error().describe();
  EXPECT_EQ((*out)->payload(), "hello");
  EXPECT_EQ((*out)->seq(), 42u);
  EXPECT_EQ(impl.started, 1);
}

TEST_F(RpcCallTest, CallbackFormReturnsThePayload) {
  auto reply = echoNow(echoMsg(std::string("bin\0ary", 7)));
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
  EXPECT_EQ(reply->payload(), std::string("bin\0ary", 7));
  EXPECT_EQ(client->channel()->pendingCalls(), 0u);
}

TEST_F(RpcCallTest, RouteKeyAndPeerNameReachTheHandler) {
  CallOptions options;
  options.route_key = 0x1234567890abcdefull;
  ASSERT_TRUE(echoNow(echoMsg("routed"), options).ok());
  EXPECT_EQ(impl.last_player, 0x1234567890abcdefull);
  EXPECT_EQ(impl.last_peer, "client");
}

TEST_F(RpcCallTest, StubDefaultsApplyToCallsWithoutOptions) {
  CallOptions defaults;
  defaults.route_key = 31;
  bool done = false;
  stub(defaults).Echo(echoMsg("d"), [&](Result<EchoMsg> r) { done = r.ok(); });
  ASSERT_TRUE(runUntil(loop, [&] { return done; }));
  EXPECT_EQ(impl.last_player, 31u);
}

TEST_F(RpcCallTest, OnewayPushReachesTheHandler) {
  CallOptions options;
  options.route_key = 5;
  auto sent = stub().Push(echoMsg("pushed", 9), options);
  ASSERT_TRUE(sent.ok()) << sent.error().describe();
  ASSERT_TRUE(runUntil(loop, [&] { return impl.pushes.size() == 1; }));
  EXPECT_EQ(impl.pushes[0].payload(), "pushed");
  EXPECT_EQ(impl.pushes[0].seq(), 9u);
  EXPECT_EQ(impl.push_players[0], 5u);
  // A notify gets no reply of any kind.
  runFor(loop, 20ms);
  EXPECT_EQ(impl.started, 0);
}

TEST_F(RpcCallTest, AcceptingSideCanCallTheDiallingSide) {
  EchoImpl client_impl(loop, "from-client:");
  client_dispatcher.install(tableFor(client_impl));
  gen::Echo::Stub back(server_channel.lock());
  std::optional<Result<EchoMsg>> out;
  back.Echo(echoMsg("reverse"), [&](Result<EchoMsg> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(runUntil(loop, [&] { return out.has_value(); }));
  ASSERT_TRUE(out->ok()) << out->error().describe();
  EXPECT_EQ((*out)->payload(), "from-client:reverse");
  EXPECT_EQ(client_impl.last_peer, "server");
  EXPECT_EQ(impl.started, 0);
}

TEST_F(RpcCallTest, ClientReconnectsAndHandshakesAgainAfterTheServerRestarts) {
  server->closeAll("restart");
  server.reset();
  ASSERT_TRUE(runUntil(loop, [&] { return client_lost == 1; }));
  EXPECT_FALSE(client->channel());
  auto refused = echoNow(echoMsg("nobody home"));
  EXPECT_EQ(refused.error().code, Errc::kUnavailable);

  server = std::make_unique<RpcServer>(loop, server_dispatcher, options("server"), "127.0.0.1", port);
  server->onChannelReady([this](const Channel::Ptr& c) { server_channel = c; });
  ASSERT_TRUE(server->start().ok());
  ASSERT_TRUE(runUntil(loop, [&] { return client->channel() != nullptr; }));
  EXPECT_EQ(client_ready, 2);
  auto reply = echoNow(echoMsg("again"));
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
  EXPECT_EQ(reply->payload(), "again");
}

TEST_F(RpcCallTest, ThousandPipelinedCallsAllCompleteWithTheirOwnPayloads) {
  constexpr int kCalls = 1000;
  auto s = stub();
  int completed = 0, wrong = 0, failed = 0;
  for (int i = 0; i < kCalls; ++i) {
    std::string payload = "payload-" + std::to_string(i) + std::string(i % 50, '.');
    s.Echo(echoMsg(payload, i), [&, payload, i](Result<EchoMsg> r) {
      ++completed;
      if (!r.ok()) {
        ++failed;
      } else if (r->payload() != payload || r->seq() != static_cast<uint64_t>(i)) {
        ++wrong;
      }
    });
  }
  EXPECT_EQ(client->channel()->pendingCalls(), static_cast<size_t>(kCalls));
  ASSERT_TRUE(runUntil(loop, [&] { return completed == kCalls; })) << completed << " of " << kCalls;
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(impl.started, kCalls);
  EXPECT_EQ(client->channel()->pendingCalls(), 0u);
}

TEST_F(RpcCallTest, TimeoutBookkeepingStaysBoundedUnderSteadyPipelining) {
  // A window of 100 calls kept full for 20000 calls: answered calls must not
  // pile up in the deadline heap for the whole timeout period.
  constexpr int kWindow = 100, kTotal = 20000;
  auto s = stub();
  int sent = 0, completed = 0, failed = 0;
  size_t most_entries = 0;
  std::function<void()> sendOne = [&] {
    ++sent;
    s.Echo(echoMsg("w"), [&](Result<EchoMsg> r) {
      ++completed;
      if (!r.ok()) ++failed;
      most_entries = std::max(most_entries, client->channel()->deadlineEntries());
      if (sent < kTotal) sendOne();
    });
  };
  for (int i = 0; i < kWindow; ++i) sendOne();
  ASSERT_TRUE(runUntil(loop, [&] { return completed == kTotal; }, 20s)) << completed << " of " << kTotal;
  EXPECT_EQ(failed, 0);
  EXPECT_LE(most_entries, static_cast<size_t>(2 * kWindow + 1024 + 1));
}

TEST_F(RpcCallTest, ManyCoroutineCallersInterleave) {
  constexpr int kCallers = 50;
  impl.delay = 5ms;  // every handler suspends, so all are in flight together
  std::vector<std::optional<Result<EchoMsg>>> out(kCallers);
  for (int i = 0; i < kCallers; ++i) spawn(awaitEcho(stub(), echoMsg("c" + std::to_string(i)), {}, &out[i]));
  ASSERT_TRUE(runUntil(loop, [&] { return impl.finished == kCallers; }));
  ASSERT_TRUE(runUntil(loop, [&] {
    for (auto& o : out) if (!o) return false;
    return true;
  }));
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(out[i]->ok()) << i;
    EXPECT_EQ((*out[i])->payload(), "c" + std::to_string(i));
  }
}

// Hot reload: calls already dispatched finish on the table they started on
// (which stays alive until then); new calls use the new table.
TEST_F(RpcCallTest, HotSwapKeepsInFlightCallsOnTheOldHandler) {
  EchoImpl old_impl(loop, "old:"), new_impl(loop, "new:");
  old_impl.delay = 100ms;
  server_dispatcher.install(tableFor(old_impl));
  std::weak_ptr<const HandlerTable> old_table = server_dispatcher.installed()->table;

  std::vector<std::optional<Result<EchoMsg>>> out(6);
  for (int i = 0; i < 3; ++i) stub().Echo(echoMsg(std::to_string(i)), [&out, i](Result<EchoMsg> r) {
    out[i].emplace(std::move(r));
  });
  ASSERT_TRUE(runUntil(loop, [&] { return old_impl.started == 3; }));
  EXPECT_EQ(old_impl.finished, 0) << "the old handlers must still be suspended when the swap happens";

  server_dispatcher.install(tableFor(new_impl));
  EXPECT_FALSE(old_table.expired()) << "in-flight calls must keep the old table alive";
  for (int i = 3; i < 6; ++i) stub().Echo(echoMsg(std::to_string(i)), [&out, i](Result<EchoMsg> r) {
    out[i].emplace(std::move(r));
  });
  ASSERT_TRUE(runUntil(loop, [&] {
    for (auto& o : out) if (!o) return false;
    return true;
  }));
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(out[i]->ok()) << i << ": " << out[i]->error().describe();
    EXPECT_EQ((*out[i])->payload(), (i < 3 ? "old:" : "new:") + std::to_string(i));
  }
  EXPECT_EQ(old_impl.started, 3);
  EXPECT_EQ(new_impl.started, 3);
  EXPECT_EQ(impl.started, 0);
  EXPECT_TRUE(old_table.expired()) << "the old table outlived its last call";
}

}  // namespace
}  // namespace polis::rpc::testing
