#include "client/replay_buffer.h"

#include <gtest/gtest.h>

namespace polis::client {
namespace {

using namespace std::chrono_literals;
using Clock = ReplayBuffer::Clock;

std::vector<std::string> strings(const std::optional<std::vector<std::string_view>>& views) {
  EXPECT_TRUE(views);
  if (!views) return {};
  return {views->begin(), views->end()};
}

TEST(ReplayBuffer, AResumeGetsEveryFrameAfterWhatTheClientCounted) {
  ReplayBuffer buffer({1024, 60s});
  auto t = Clock::now();
  EXPECT_EQ(buffer.nextPosition(), 1u);
  for (const char* f : {"a", "b", "c", "d"}) buffer.append(f, t);
  EXPECT_EQ(buffer.sent(), 4u);
  EXPECT_EQ(strings(buffer.after(0)), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(strings(buffer.after(2)), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(strings(buffer.after(4)), std::vector<std::string>{});

  // The client says it has two: they go; from 2 the stream still continues, from 1 it cannot.
  EXPECT_EQ(buffer.acknowledge(2), ReplayBuffer::Ack::kOk);
  EXPECT_EQ(buffer.bytes(), 2u);
  EXPECT_EQ(strings(buffer.after(2)), (std::vector<std::string>{"c", "d"}));
  EXPECT_FALSE(buffer.after(1)) << "frame 2 was acknowledged and dropped";
  EXPECT_EQ(buffer.nextPosition(), 5u);
}

TEST(ReplayBuffer, ALyingOrStaleAcknowledgementChangesNothing) {
  ReplayBuffer buffer({1024, 60s});
  auto t = Clock::now();
  buffer.append("a", t);
  buffer.append("b", t);
  EXPECT_EQ(buffer.acknowledge(3), ReplayBuffer::Ack::kAhead);
  EXPECT_EQ(buffer.acknowledged(), 0u);
  EXPECT_FALSE(buffer.after(3)) << "a resume claiming frames never sent";
  EXPECT_EQ(buffer.acknowledge(2), ReplayBuffer::Ack::kOk);
  EXPECT_EQ(buffer.acknowledge(1), ReplayBuffer::Ack::kOk);  // reordered or replayed: already covered
  EXPECT_EQ(buffer.acknowledged(), 2u);
  EXPECT_EQ(buffer.bytes(), 0u);
}

TEST(ReplayBuffer, ItReportsRatherThanDropsWhenTheClientFallsBehind) {
  ReplayBuffer buffer({10, 5s});
  auto t = Clock::now();
  buffer.append("12345", t);
  buffer.append("67890", t + 1s);
  EXPECT_FALSE(buffer.exceeded(t + 1s));
  buffer.append("x", t + 2s);
  EXPECT_TRUE(buffer.exceeded(t + 2s)) << "11 bytes unacknowledged";
  EXPECT_EQ(strings(buffer.after(0)).size(), 3u) << "nothing unacknowledged was dropped";
  buffer.acknowledge(1);
  EXPECT_FALSE(buffer.exceeded(t + 2s));
  EXPECT_FALSE(buffer.exceeded(t + 6s)) << "the oldest left was sent at t+1s: 5 s old";
  EXPECT_TRUE(buffer.exceeded(t + 6s + 1ms)) << "older than max_age";
  buffer.acknowledge(3);
  EXPECT_FALSE(buffer.exceeded(t + 1h)) << "nothing left to wait for";
}

}  // namespace
}  // namespace polis::client
