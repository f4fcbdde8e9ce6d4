// The per-channel in-flight cap (ChannelOptions::max_inflight_requests): past
// it the channel stops reading and resumes when a request finishes, so a peer
// pipelining requests never has more than the cap served at once.
#include <algorithm>

#include "rpc_test_support.h"

namespace polis::rpc::testing {
namespace {

constexpr size_t kCap = 4;

// Echo that records how many of its handlers run at once.
class CountingEcho : public gen::Echo::Service {
 public:
  explicit CountingEcho(EventLoop& loop) : loop_(loop) {}

  std::chrono::milliseconds delay{50};
  int started = 0;
  int finished = 0;
  int running = 0;
  int max_running = 0;
  size_t max_channel_inflight = 0;  // as the serving channel counts it

  Task<Result<EchoMsg>> Echo(Call& call, const EchoMsg& req) override {
    enter(call);
    EchoMsg resp = req;
    co_await sleepFor(loop_, delay);
    leave();
    co_return resp;
  }
  Task<void> Push(Call& call, const EchoMsg&) override {
    enter(call);
    co_await sleepFor(loop_, delay);
    leave();
  }

 private:
  void enter(Call& call) {
    ++started;
    max_running = std::max(max_running, ++running);
    if (auto ch = call.channel()) max_channel_inflight = std::max(max_channel_inflight, ch->inboundInflight());
  }
  void leave() {
    --running;
    ++finished;
  }
  EventLoop& loop_;
};

class BackpressureTest : public RpcServerOptionsTest {
 protected:
  void SetUp() override {
    RpcTest::SetUp();
    ChannelOptions o = options("server");
    o.max_inflight_requests = kCap;
    ASSERT_NO_FATAL_FAILURE(restartServer(o));
    server_dispatcher.install(tableFor(counting));
  }

  CountingEcho counting{loop};
};

TEST_F(BackpressureTest, PipelinedCallsNeverRunMoreHandlersThanTheCap) {
  ASSERT_NO_FATAL_FAILURE(connect());
  uint64_t pauses_before = rpcMetrics().read_pauses.value();
  constexpr int kCalls = 20;
  std::vector<Outcome<>> out;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) {
    out.push_back(outcome());
    stub().Echo(echoMsg("call " + std::to_string(i), i), into(out.back()));
  }
  ASSERT_TRUE(runUntil(loop, [&] {
    return std::all_of(out.begin(), out.end(), [](const auto& o) { return o->has_value(); });
  })) << "finished " << counting.finished << " of " << kCalls;
  auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_LE(counting.max_running, static_cast<int>(kCap)) << "more handlers ran at once than the cap";
  EXPECT_EQ(counting.max_running, static_cast<int>(kCap)) << "the cap was never reached: the test shows nothing";
  EXPECT_LE(counting.max_channel_inflight, kCap);
  for (int i = 0; i < kCalls; ++i) {
    const Result<EchoMsg>& r = **out[i];
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().describe();
    EXPECT_EQ(r->payload(), "call " + std::to_string(i));
    EXPECT_EQ(r->seq(), static_cast<uint64_t>(i));
  }
  EXPECT_EQ(counting.started, kCalls);
  EXPECT_GT(rpcMetrics().read_pauses.value(), pauses_before) << "polis_rpc_read_pauses_total did not grow";
  // 20 calls, 4 at a time, 50 ms each: at least five rounds.
  EXPECT_GE(elapsed, 5 * counting.delay - 20ms);
  auto ch = server_channel.lock();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->inboundInflight(), 0u);
}

TEST_F(BackpressureTest, NotifiesCountAgainstTheCapToo) {
  ASSERT_NO_FATAL_FAILURE(connect());
  constexpr int kPushes = 12;
  for (int i = 0; i < kPushes; ++i) ASSERT_TRUE(stub().Push(echoMsg("push")).ok());
  ASSERT_TRUE(runUntil(loop, [&] { return counting.finished == kPushes; }));
  EXPECT_EQ(counting.max_running, static_cast<int>(kCap));
  // The channel still serves calls afterwards.
  auto reply = echoNow(echoMsg("after"));
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
}

// Replies that arrive ahead of the request that paused the channel are still
// read: the server's own call to the peer completes while the peer's
// requests wait. (A reply queued behind the paused request waits with it;
// see channel.h: handlers must not wait on calls back over a full channel.)
TEST_F(BackpressureTest, ReplyQueuedAheadOfAPausedRequestIsStillRead) {
  RawPeer raw(loop, port, kSecret);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.proved() && server_ready == 1; }));
  auto ch = server_channel.lock();
  ASSERT_TRUE(ch);

  // The server calls the raw peer, which will answer in the middle of a burst.
  auto server_call = outcome();
  auto handlers_started_at_reply = std::make_shared<int>(-1);
  gen::Echo::Stub(ch).Echo(echoMsg("server asks"), [server_call, handlers_started_at_reply, this](Result<EchoMsg> r) {
    *handlers_started_at_reply = counting.started;
    server_call->emplace(std::move(r));
  });
  ASSERT_TRUE(runUntil(loop, [&] { return !raw.frames().empty(); }));
  ASSERT_EQ(raw.frames()[0].header.kind, Kind::kRequest);
  uint32_t server_call_id = raw.frames()[0].header.call_id;

  counting.delay = 300ms;
  uint64_t pauses_before = rpcMetrics().read_pauses.value();
  auto frame = [](uint32_t id) {
    return encodeFrame(Header{Kind::kRequest, gen::Echo::kEcho.id, id, 0},
                       echoMsg("p" + std::to_string(id)).SerializeAsString());
  };
  std::string burst;
  for (uint32_t id = 1; id <= kCap; ++id) burst += frame(id);
  burst += encodeFrame(Header{Kind::kResponse, gen::Echo::kEcho.id, server_call_id, 0},
                       echoMsg("peer answers").SerializeAsString());
  burst += frame(kCap + 1) + frame(kCap + 2);  // these wait for a free slot
  raw.sendBytes(burst);

  ASSERT_TRUE(runUntil(loop, [&] { return server_call->has_value(); }, 250ms))
      << "the reply ahead of the paused request was not read while the handlers ran";
  const Result<EchoMsg>& answer = **server_call;
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->payload(), "peer answers");
  EXPECT_EQ(*handlers_started_at_reply, static_cast<int>(kCap));
  runFor(loop, 20ms);
  EXPECT_EQ(counting.started, static_cast<int>(kCap)) << "a request past the cap was dispatched";
  EXPECT_EQ(ch->inboundInflight(), kCap);
  EXPECT_GT(rpcMetrics().read_pauses.value(), pauses_before);

  // Once slots free up, the waiting requests are served too.
  auto responses = [&] {
    return std::count_if(raw.frames().begin(), raw.frames().end(),
                         [](const RawPeer::Frame& f) { return f.header.kind == Kind::kResponse; });
  };
  ASSERT_TRUE(runUntil(loop, [&] { return responses() == static_cast<long>(kCap + 2); }));
  std::vector<uint32_t> ids;
  for (const auto& f : raw.frames()) {
    if (f.header.kind == Kind::kResponse) ids.push_back(f.header.call_id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<uint32_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_LE(counting.max_running, static_cast<int>(kCap));
}

}  // namespace
}  // namespace polis::rpc::testing
