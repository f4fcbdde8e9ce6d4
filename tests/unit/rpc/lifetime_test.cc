// Who may outlive whom: channels handed out to handlers and callers may
// outlive the RpcServer / RpcClient that made them, and tearing either down
// with calls in flight must not touch freed memory (run under ASan to see it).
#include "rpc_fixture.h"

namespace polis::rpc::testing {
namespace {

using RpcLifetimeTest = RpcTest;

TEST_F(RpcLifetimeTest, ServerDestroyedWhileAHandlerHoldsItsChannel) {
  connect();
  impl.hold_channel = true;
  impl.delay = 50ms;
  std::optional<Result<EchoMsg>> out;
  stub().Echo(echoMsg("x"), [&](Result<EchoMsg> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(runUntil(loop, [&] { return impl.started == 1; }));
  uint64_t dropped_before = rpcMetrics().dropped_replies.value();
  server.reset();  // the handler still holds the server-side channel
  ASSERT_TRUE(runUntil(loop, [&] { return impl.finished == 1 && out.has_value(); }));
  EXPECT_EQ(out->error().code, Errc::kConnectionLost) << out->error().describe();
  runFor(loop, 20ms);
  EXPECT_EQ(rpcMetrics().dropped_replies.value(), dropped_before + 1);
  EXPECT_EQ(server_closed, 0) << "a destroyed server must not report closes";
}

TEST_F(RpcLifetimeTest, ClientDestroyedWhileACallerHoldsItsChannel) {
  connect();
  Channel::Ptr held = client->channel();
  client.reset();
  EXPECT_FALSE(held->ready());
  ASSERT_TRUE(runUntil(loop, [&] { return server->channelCount() == 0; }));
  runFor(loop, 20ms);
  EXPECT_EQ(client_lost, 0) << "a destroyed client must not report losses";
}

TEST_F(RpcLifetimeTest, ServerDestroyedWithCallsInFlight) {
  connect();
  impl.delay = 30ms;
  int failed = 0;
  for (int i = 0; i < 10; ++i) stub().Echo(echoMsg("x"), [&](Result<EchoMsg> r) { failed += !r.ok(); });
  ASSERT_TRUE(runUntil(loop, [&] { return impl.started == 10; }));
  server.reset();
  ASSERT_TRUE(runUntil(loop, [&] { return impl.finished == 10 && failed == 10; }));
}

TEST_F(RpcLifetimeTest, ChannelClosedFromInsideItsOwnReplyCallback) {
  connect();
  auto channel = client->channel();
  bool second_failed = false;
  stub().Echo(echoMsg("a"), [&](Result<EchoMsg> r) {
    ASSERT_TRUE(r.ok());
    channel->close("done with it");  // from inside the channel's read path
  });
  stub().Echo(echoMsg("b"), [&](Result<EchoMsg> r) { second_failed = !r.ok(); });
  ASSERT_TRUE(runUntil(loop, [&] { return second_failed; }));
  EXPECT_EQ(channel->pendingCalls(), 0u);
}

}  // namespace
}  // namespace polis::rpc::testing
