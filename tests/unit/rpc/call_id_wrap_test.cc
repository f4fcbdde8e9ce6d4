// Call ids wrap after 2^32 calls; an id still pending (a long call) and 0
// (which marks a notify) are skipped, so no two calls in flight share an id
// and every call gets its own answer. Channel::setNextCallIdForTest jumps to
// the wrap.
#include <algorithm>

#include "rpc_test_support.h"

namespace polis::rpc::testing {
namespace {

using CallIdWrapTest = RpcTest;

// The server's channel calls a raw peer, which shows the ids on the wire and
// answers in any order the test likes.
TEST_F(CallIdWrapTest, IdsSkipZeroAndPendingIdsAcrossTheWrap) {
  RawPeer raw(loop, port, kSecret);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.proved() && server_ready == 1; }));
  auto ch = server_channel.lock();
  ASSERT_TRUE(ch);

  std::map<std::string, Outcome<>> out;
  auto call = [&](const std::string& payload) {
    out[payload] = outcome();
    gen::Echo::Stub(ch).Echo(echoMsg(payload), into(out[payload]));
  };
  call("long");  // id 1, answered last
  ASSERT_TRUE(runUntil(loop, [&] { return raw.frames().size() == 1; }));
  ch->setNextCallIdForTest(0xFFFFFFFEu);
  for (const char* p : {"w1", "w2", "w3", "w4"}) call(p);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.frames().size() == 5; }));
  EXPECT_EQ(ch->pendingCalls(), 5u) << "a call was lost to an id collision";

  std::vector<uint32_t> ids;
  for (const auto& f : raw.frames()) {
    ASSERT_EQ(f.header.kind, Kind::kRequest);
    ids.push_back(f.header.call_id);
  }
  EXPECT_EQ(ids, (std::vector<uint32_t>{1, 0xFFFFFFFEu, 0xFFFFFFFFu, 2, 3}))
      << "after 0xFFFFFFFF the ids must skip 0 (notify) and 1 (still pending)";

  // Answer newest first, the long call last; each reply echoes its request.
  std::vector<RawPeer::Frame> requests = raw.frames();
  std::reverse(requests.begin(), requests.end());
  for (const auto& f : requests) {
    raw.sendFrame(Header{Kind::kResponse, f.header.msg_id, f.header.call_id, 0}, f.body);
  }
  ASSERT_TRUE(runUntil(loop, [&] {
    return std::all_of(out.begin(), out.end(), [](const auto& kv) { return kv.second->has_value(); });
  })) << "a call across the wrap never completed";
  for (const auto& [payload, result] : out) {
    const Result<EchoMsg>& r = **result;
    ASSERT_TRUE(r.ok()) << payload << ": " << r.error().describe();
    EXPECT_EQ(r->payload(), payload) << "a call got another call's answer";
  }
  EXPECT_EQ(ch->pendingCalls(), 0u);
}

// End to end: a slow call holds id 1 while the client's ids wrap around it.
TEST_F(CallIdWrapTest, CallsAcrossTheWrapEachGetTheirOwnAnswer) {
  ASSERT_NO_FATAL_FAILURE(connect());
  impl.delay = 300ms;
  auto slow = outcome();
  stub().Echo(echoMsg("slow"), into(slow));  // id 1
  ASSERT_TRUE(runUntil(loop, [&] { return impl.started == 1; }));
  impl.delay = 0ms;
  client->channel()->setNextCallIdForTest(0xFFFFFFFEu);
  constexpr int kCalls = 6;
  std::vector<Outcome<>> fast;
  for (int i = 0; i < kCalls; ++i) {
    fast.push_back(outcome());
    stub().Echo(echoMsg("fast " + std::to_string(i)), into(fast.back()));
  }
  EXPECT_EQ(client->channel()->pendingCalls(), static_cast<size_t>(kCalls + 1));
  ASSERT_TRUE(runUntil(loop, [&] {
    return std::all_of(fast.begin(), fast.end(), [](const auto& o) { return o->has_value(); });
  }));
  EXPECT_FALSE(slow->has_value()) << "the slow call was answered by a fast call's reply";
  for (int i = 0; i < kCalls; ++i) {
    const Result<EchoMsg>& r = **fast[i];
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->payload(), "fast " + std::to_string(i));
  }
  ASSERT_TRUE(runUntil(loop, [&] { return slow->has_value(); }));
  const Result<EchoMsg>& slow_result = **slow;
  ASSERT_TRUE(slow_result.ok()) << slow_result.error().describe();
  EXPECT_EQ(slow_result->payload(), "slow");
  EXPECT_EQ(client->channel()->pendingCalls(), 0u);
}

// An answered call leaves its deadline in the channel's heap until the
// deadline passes. If the id comes round again (after a wrap) while another
// call keeps the sweep running, the stale deadline must not time out the new
// call that now holds the id.
// DISABLED: fails today. Channel::sweepTimeouts() pops (deadline, id) and
// times out whatever call now holds `id` without checking that the entry is
// that call's own deadline (PendingCall::deadline). Run it with
// --gtest_also_run_disabled_tests --gtest_filter='*ReusedIdIsNotTimedOut*'.
TEST_F(CallIdWrapTest, ReusedIdIsNotTimedOutByTheDeadlineOfItsPreviousCall) {
  RawPeer raw(loop, port, kSecret);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.proved() && server_ready == 1; }));
  auto ch = server_channel.lock();
  ASSERT_TRUE(ch);
  auto stub = gen::Echo::Stub(ch);

  auto keeper = outcome(), quick = outcome(), reused = outcome();
  stub.Echo(echoMsg("keeper"), into(keeper), CallOptions{5000ms});
  stub.Echo(echoMsg("quick"), into(quick), CallOptions{100ms});
  ASSERT_TRUE(runUntil(loop, [&] { return raw.frames().size() == 2; }));
  uint32_t quick_id = raw.frames()[1].header.call_id;
  raw.sendFrame(Header{Kind::kResponse, gen::Echo::kEcho.id, quick_id, 0}, echoMsg("quick").SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return quick->has_value(); }));
  ASSERT_TRUE(quick->value().ok());

  ch->setNextCallIdForTest(quick_id);  // as after a wrap: the id is free again
  stub.Echo(echoMsg("reused"), into(reused), CallOptions{5000ms});
  ASSERT_TRUE(runUntil(loop, [&] { return raw.frames().size() == 3; }));
  ASSERT_EQ(raw.frames()[2].header.call_id, quick_id);
  runFor(loop, 300ms);  // well past the quick call's 100 ms deadline
  std::string got = reused->has_value() && !reused->value().ok() ? reused->value().error().describe() : "";
  EXPECT_FALSE(reused->has_value())
      << "a 5 s call ended after ~100 ms, at the deadline of the answered call that had its id before: " << got;
  EXPECT_FALSE(keeper->has_value());
}

}  // namespace
}  // namespace polis::rpc::testing
