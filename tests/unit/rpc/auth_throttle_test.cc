// AuthThrottle: a token bucket per source address for failed cluster-secret
// proofs, on an injected clock; and RpcServer refusing a throttled address at
// accept, before any handshake work.
#include "rpc/auth_throttle.h"

#include "rpc_test_support.h"

namespace polis::rpc::testing {
namespace {

class AuthThrottleTest : public ::testing::Test {
 protected:
  AuthThrottle::Clock::time_point now{std::chrono::hours(1)};
  AuthThrottle throttle{[this] { return now; }};

  void fail(const std::string& address, int times = 1) {
    for (int i = 0; i < times; ++i) throttle.recordFailure(address);
  }
};

TEST_F(AuthThrottleTest, TenFailuresAreAllowedAndThenTheAddressIsRefused) {
  const std::string a = "10.0.0.1";
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(throttle.allowed(a)) << "check " << i + 1 << " refused after " << i << " failures";
    fail(a);
  }
  EXPECT_FALSE(throttle.allowed(a)) << "the 11th check after 10 failures must be refused";
}

TEST_F(AuthThrottleTest, OneTokenComesBackPerRefillPeriod) {
  const std::string a = "10.0.0.2";
  fail(a, 10);
  ASSERT_FALSE(throttle.allowed(a));
  now += AuthThrottle::kRefill / 2;
  EXPECT_FALSE(throttle.allowed(a)) << "half a refill period gave a whole token";
  now += AuthThrottle::kRefill / 2;
  EXPECT_TRUE(throttle.allowed(a)) << "no token back after kRefill";
  fail(a);
  EXPECT_FALSE(throttle.allowed(a)) << "one token back allows exactly one more attempt";
  // Idle for a long while: the bucket is full again, never more than kBurst.
  now += 100 * AuthThrottle::kRefill;
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(throttle.allowed(a)) << i;
    fail(a);
  }
  EXPECT_FALSE(throttle.allowed(a)) << "the bucket filled past kBurst";
}

TEST_F(AuthThrottleTest, AddressesAreIndependent) {
  fail("10.0.0.3", 10);
  EXPECT_FALSE(throttle.allowed("10.0.0.3"));
  EXPECT_TRUE(throttle.allowed("10.0.0.4"));
  fail("10.0.0.4", 9);
  EXPECT_TRUE(throttle.allowed("10.0.0.4"));
}

TEST_F(AuthThrottleTest, TableIsBoundedAtMaxAddresses) {
  constexpr size_t kExtra = 100;
  std::vector<std::string> addresses;
  for (size_t i = 0; i < AuthThrottle::kMaxAddresses + kExtra; ++i) {
    addresses.push_back("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    fail(addresses.back(), 10);
    now += std::chrono::microseconds(1);
  }
  // Every remembered address is refused (none has refilled a token); the
  // forgotten ones are allowed again. The table holds at most kMaxAddresses.
  size_t refused = 0;
  for (const auto& a : addresses) refused += !throttle.allowed(a);
  EXPECT_LE(refused, AuthThrottle::kMaxAddresses) << "the table grew past kMaxAddresses";
  EXPECT_GE(refused, AuthThrottle::kMaxAddresses - 1) << "more entries were dropped than needed";
  // The newest address is always kept.
  EXPECT_FALSE(throttle.allowed(addresses.back()));
}

// auth_throttle.cc: "if the table is still full, the stalest entry goes".
// DISABLED: fails today. AuthThrottle::prune() refills every bucket first,
// and refill() sets Bucket::updated = now, so all entries look equally fresh
// and min_element evicts whichever comes first in the hash map. Run it with
// --gtest_also_run_disabled_tests --gtest_filter='*ForgetsTheStalest*'.
TEST_F(AuthThrottleTest, AFullTableForgetsTheStalestAddress) {
  std::vector<std::string> addresses;
  for (size_t i = 0; i < AuthThrottle::kMaxAddresses; ++i) {
    addresses.push_back("10.2." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    fail(addresses.back(), 10);
    now += std::chrono::microseconds(1);
  }
  fail("10.3.0.1", 10);  // one more: somebody has to go
  EXPECT_FALSE(throttle.allowed("10.3.0.1"));
  std::vector<std::string> forgotten;
  for (const auto& a : addresses) {
    if (throttle.allowed(a)) forgotten.push_back(a);
  }
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_EQ(forgotten[0], addresses.front())
      << "evicted " << forgotten[0] << " instead of the stalest entry " << addresses.front();
}

// The server side: an address that failed the proof too often is closed at
// accept, before the node sends it anything.
using AuthThrottleServerTest = RpcTest;

TEST_F(AuthThrottleServerTest, AddressThatKeepsFailingIsRefusedAtAccept) {
  uint64_t throttled_before = rpcMetrics().auth_throttled.value();
  // Ten wrong-secret attempts from 127.0.0.1, as fast as they go (well under
  // one refill period in total).
  for (int i = 0; i < 10; ++i) {
    net::TcpClient tcp(loop, "127.0.0.1", port);
    Channel::Ptr intruder;
    auto closed = std::make_shared<bool>(false);
    tcp.connect([&, closed](net::TcpConnection::Ptr conn) {
      intruder = Channel::start(std::move(conn), client_dispatcher, options("intruder", "not-the-secret"),
                                [](const Channel::Ptr&) {}, [closed](const Channel::Ptr&) { *closed = true; });
    });
    ASSERT_TRUE(runUntil(loop, [&] { return *closed && server->channelCount() == 0; })) << "attempt " << i;
    tcp.stop();
    if (intruder) intruder->detach();
  }
  EXPECT_EQ(rpcMetrics().auth_throttled.value(), throttled_before) << "refused before the 10 failures were used up";

  RawPeer eleventh(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return eleventh.closed(); }, 1000ms)) << "the 11th attempt was not refused";
  EXPECT_TRUE(eleventh.handshakeFrames().empty()) << "a throttled address got a challenge";
  EXPECT_EQ(rpcMetrics().auth_throttled.value(), throttled_before + 1);
  EXPECT_EQ(server_ready, 0);
}

}  // namespace
}  // namespace polis::rpc::testing
