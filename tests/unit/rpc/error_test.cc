// Calls that fail: each failure reaches the caller with the right code, is
// counted, and leaves the channel usable (or closed, for a lost connection).
#include "rpc_fixture.h"

namespace polis::rpc::testing {
namespace {

class RpcErrorTest : public RpcTest {
 protected:
  void SetUp() override {
    RpcTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(connect());
  }

  // The channel is still fine after an error: a plain call succeeds.
  void expectChannelStillServes() {
    impl.delay = 0ms;
    impl.error.reset();
    impl.throws = false;
    auto reply = echoNow(echoMsg("after"));
    ASSERT_TRUE(reply.ok()) << reply.error().describe();
    EXPECT_EQ(reply->payload(), "after");
  }
};

// An id no service on the server binds (ids are unique across the protos).
constexpr MethodInfo kMissing{999, "Echo.Missing", false};

TEST_F(RpcErrorTest, UnknownMethodIsNoSuchMethod) {
  uint64_t before = rpcMetrics().unknown_methods.value();
  std::optional<Result<EchoMsg>> out;
  callUnary<EchoMsg>(client->channel(), kMissing, echoMsg("?"), [&](Result<EchoMsg> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(runUntil(loop, [&] { return out.has_value(); }));
  ASSERT_FALSE(out->ok());
  EXPECT_EQ(out->error().code, Errc::kNoSuchMethod) << out->error().describe();
  EXPECT_EQ(rpcMetrics().unknown_methods.value(), before + 1);
  expectChannelStillServes();
}

TEST_F(RpcErrorTest, NotifyForUnknownMethodIsCountedAndIgnored) {
  uint64_t before = rpcMetrics().unknown_methods.value();
  constexpr static MethodInfo kMissingNotify{998, "Echo.MissingNotify", true};
  ASSERT_TRUE(sendNotify(client->channel(), kMissingNotify, echoMsg("?")).ok());
  ASSERT_TRUE(runUntil(loop, [&] { return rpcMetrics().unknown_methods.value() == before + 1; }));
  expectChannelStillServes();
}

TEST_F(RpcErrorTest, SlowHandlerTimesOutAndItsLateReplyIsDropped) {
  uint64_t timeouts_before = rpcMetrics().timeouts.value();
  uint64_t late_before = rpcMetrics().late_replies.value();
  impl.delay = 500ms;
  CallOptions options;
  options.timeout = 50ms;
  std::optional<Result<EchoMsg>> out;
  auto start = std::chrono::steady_clock::now();
  spawn(awaitEcho(stub(), echoMsg("slow"), options, &out));
  ASSERT_TRUE(runUntil(loop, [&] { return out.has_value(); }));
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out->ok());
  EXPECT_EQ(out->error().code, Errc::kTimeout) << out->error().describe();
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 400ms) << "the timeout fired late";
  EXPECT_EQ(rpcMetrics().timeouts.value(), timeouts_before + 1);
  EXPECT_EQ(client->channel()->pendingCalls(), 0u);

  ASSERT_TRUE(runUntil(loop, [&] { return rpcMetrics().late_replies.value() == late_before + 1; }));
  EXPECT_EQ(impl.finished, 1);
  EXPECT_TRUE(out->error().code == Errc::kTimeout) << "the late reply must not reach the caller again";
  expectChannelStillServes();
}

TEST_F(RpcErrorTest, HandlerErrorReachesTheCallerWithCodeAndMessage) {
  impl.error = Error{Errc::kInvalidArgument, "seq must be even"};
  auto reply = echoNow(echoMsg("odd", 3));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(reply.error().message, "seq must be even");
  expectChannelStillServes();
}

TEST_F(RpcErrorTest, HandlerThatThrowsIsInternal) {
  impl.throws = true;
  auto reply = echoNow(echoMsg("boom"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::kInternal) << reply.error().describe();
  EXPECT_EQ(reply.error().message.find("exploded"), std::string::npos) << "exception text leaked to the caller";
  expectChannelStillServes();
}

TEST_F(RpcErrorTest, ThrowAfterSuspendingIsInternalToo) {
  impl.throws = true;
  impl.delay = 10ms;
  auto reply = echoNow(echoMsg("boom later"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::kInternal) << reply.error().describe();
  expectChannelStillServes();
}

TEST_F(RpcErrorTest, UnparsableRequestBodyIsBadMessage) {
  RawPeer raw(loop, port, kSecret);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.proved(); }));
  // Field 1 (bytes) announcing 100 bytes when 2 follow.
  std::string truncated("\x0a\x64" "ab", 4);
  ASSERT_FALSE(EchoMsg().ParseFromString(truncated)) << "precondition: the body must not parse";
  raw.sendFrame(Header{Kind::kRequest, gen::Echo::kEcho.id, 11, 0}, truncated);
  ASSERT_TRUE(runUntil(loop, [&] { return !raw.frames().empty(); }));
  const auto& reply = raw.frames()[0];
  EXPECT_EQ(reply.header.kind, Kind::kError);
  EXPECT_EQ(reply.header.call_id, 11u);
  RpcError error;
  ASSERT_TRUE(error.ParseFromString(reply.body));
  EXPECT_EQ(error.code(), static_cast<int32_t>(Errc::kBadMessage)) << error.message();
  EXPECT_EQ(impl.started, 0) << "the handler saw an unparsable request";
  EXPECT_FALSE(raw.closed()) << "a bad body is the caller's problem, not a protocol violation";
}

TEST_F(RpcErrorTest, UnknownErrorCodeFromThePeerIsRemote) {
  // A newer peer may send a code this build does not know.
  RawPeer raw(loop, port, kSecret);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.proved(); }));
  impl.error = Error{static_cast<Errc>(77), "from the future"};
  raw.sendFrame(Header{Kind::kRequest, gen::Echo::kEcho.id, 1, 0}, echoMsg("x").SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return !raw.frames().empty(); }));
  RpcError error;
  ASSERT_TRUE(error.ParseFromString(raw.frames()[0].body));
  EXPECT_EQ(error.code(), 77);
  // And the client maps it to kRemote.
  auto reply = echoNow(echoMsg("y"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::kRemote) << reply.error().describe();
}

TEST_F(RpcErrorTest, ReplyForADestroyedCoroutineCallerIsDroppedHarmlessly) {
  impl.delay = 30ms;
  bool resumed = false;
  {
    Abandonable caller = abandonableEcho(stub(), echoMsg("gone"), &resumed);
    ASSERT_TRUE(runUntil(loop, [&] { return impl.started == 1; }));
  }  // the caller gives up while the handler sleeps
  ASSERT_TRUE(runUntil(loop, [&] { return impl.finished == 1 && client->channel()->pendingCalls() == 0; }));
  runFor(loop, 10ms);
  EXPECT_FALSE(resumed) << "a destroyed coroutine was resumed";
  expectChannelStillServes();
}

TEST_F(RpcErrorTest, ReplyAfterTheCallerClosedTheChannelIsDroppedAndCounted) {
  uint64_t dropped_before = rpcMetrics().dropped_replies.value();
  impl.delay = 200ms;  // the server must see the close before the handler replies
  std::optional<Result<EchoMsg>> out;
  stub().Echo(echoMsg("bye"), [&](Result<EchoMsg> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(runUntil(loop, [&] { return impl.started == 1; }));
  client->stop();
  EXPECT_FALSE(out.has_value()) << "completions are delivered on a later turn, never inside close()";
  ASSERT_TRUE(runUntil(loop, [&] { return out.has_value(); }, 100ms))
      << "closing the channel must fail its pending calls on the next turn";
  EXPECT_EQ(out->error().code, Errc::kConnectionLost) << out->error().describe();
  ASSERT_TRUE(runUntil(loop, [&] { return server->channelCount() == 0; }));
  ASSERT_TRUE(runUntil(loop, [&] { return impl.finished == 1; }));
  ASSERT_TRUE(runUntil(loop, [&] { return rpcMetrics().dropped_replies.value() == dropped_before + 1; }));
  EXPECT_EQ(server_closed, 1);
}

TEST_F(RpcErrorTest, ServerClosingMidCallFailsTheCallPromptly) {
  impl.delay = 300ms;
  std::optional<Result<EchoMsg>> out;
  spawn(awaitEcho(stub(), echoMsg("pending"), {}, &out));
  ASSERT_TRUE(runUntil(loop, [&] { return impl.started == 1; }));
  auto start = std::chrono::steady_clock::now();
  server_channel.lock()->close("server says no");
  ASSERT_TRUE(runUntil(loop, [&] { return out.has_value(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "failed by the 5 s timeout, not the close";
  ASSERT_FALSE(out->ok());
  EXPECT_EQ(out->error().code, Errc::kConnectionLost) << out->error().describe();
  ASSERT_TRUE(runUntil(loop, [&] { return client_lost == 1; }));
  // The handler still finishes; its reply has nowhere to go.
  uint64_t dropped_before = rpcMetrics().dropped_replies.value();
  ASSERT_TRUE(runUntil(loop, [&] { return impl.finished == 1; }));
  EXPECT_EQ(rpcMetrics().dropped_replies.value(), dropped_before + 1);
  // The client reconnects on its own.
  ASSERT_TRUE(runUntil(loop, [&] { return client->channel() != nullptr; }));
  expectChannelStillServes();
}

TEST_F(RpcErrorTest, CallOnAClosedOrMissingChannelIsUnavailable) {
  auto channel = client->channel();
  channel->close("closed by test");
  std::optional<Result<EchoMsg>> out;
  gen::Echo::Stub(channel).Echo(echoMsg("x"), [&](Result<EchoMsg> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(out.has_value()) << "must fail synchronously";
  EXPECT_EQ(out->error().code, Errc::kUnavailable);
  EXPECT_EQ(gen::Echo::Stub(channel).Push(echoMsg("x")).error().code, Errc::kUnavailable);
  out.reset();
  spawn(awaitEcho(gen::Echo::Stub(channel), echoMsg("x"), {}, &out));
  ASSERT_TRUE(out.has_value()) << "co_await of a call that failed at once must not suspend";
  EXPECT_EQ(out->error().code, Errc::kUnavailable);

  out.reset();
  gen::Echo::Stub(nullptr).Echo(echoMsg("x"), [&](Result<EchoMsg> r) { out.emplace(std::move(r)); });
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->error().code, Errc::kUnavailable);
  EXPECT_EQ(gen::Echo::Stub(nullptr).Push(echoMsg("x")).error().code, Errc::kUnavailable);
}

TEST_F(RpcErrorTest, RequestOverTheFrameLimitFailsWithoutClosing) {
  client.reset();
  ChannelOptions small = options("client");
  small.max_frame_bytes = 1024;
  connect(small);
  auto reply = echoNow(echoMsg(std::string(2000, 'x')));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().code, Errc::kInvalidArgument) << reply.error().describe();
  expectChannelStillServes();
}

}  // namespace
}  // namespace polis::rpc::testing
