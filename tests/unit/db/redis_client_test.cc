// RedisClient against a real redis-server the test starts and kills
// (support/redis_process.h): commands and replies of every type, binary
// values, error replies, pipelining, a Redis that dies and comes back.
#include "db/redis_client.h"

#include <gtest/gtest.h>

#include <optional>

#include "base/task.h"
#include "support/loop_runner.h"
#include "support/redis_process.h"

namespace polis::db {
namespace {

using namespace std::chrono_literals;
using polis::testing::runFor;
using polis::testing::runUntil;

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis.running()) << "redis-server did not start (tools/install-deps.sh installs it)";
    client = std::make_unique<RedisClient>(loop, RedisEndpoint{"127.0.0.1", redis.port(), 1000ms, 200ms});
    client->start();
    ASSERT_TRUE(runUntil(loop, [&] { return client->connected(); }, 5s));
  }

  Result<RedisReply> run(std::vector<std::string> args) {
    std::optional<Result<RedisReply>> out;
    spawn([](RedisClient& c, std::vector<std::string> a, std::optional<Result<RedisReply>>* o) -> Task<void> {
      auto pending = c.command(a);
      o->emplace(co_await pending);
    }(*client, std::move(args), &out));
    if (!runUntil(loop, [&] { return out.has_value(); }, 5s)) return Error{Errc::kInternal, "watchdog"};
    return std::move(*out);
  }

  polis::testing::RedisProcess redis;
  EventLoop loop;
  std::unique_ptr<RedisClient> client;
};

TEST_F(RedisClientTest, RepliesOfEveryTypeWithBinaryValues) {
  std::string value("bin\0ary\xff", 8);
  auto set = run({"SET", "k", value});
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(set->type, RedisReply::Type::kStatus);
  EXPECT_EQ(set->str, "OK");
  auto get = run({"GET", "k"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->type, RedisReply::Type::kString);
  EXPECT_EQ(get->str, value) << "values are bytes, NULs included";
  auto missing = run({"GET", "nope"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->isNil());
  auto n = run({"INCRBY", "counter", "41"});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->integer, 41);
  ASSERT_TRUE(run({"RPUSH", "list", "a", "b"}).ok());
  auto list = run({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->elements.size(), 2u);
  EXPECT_EQ(list->elements[1].str, "b");
}

TEST_F(RedisClientTest, AnErrorReplyIsTypedAndTheConnectionGoesOn) {
  ASSERT_TRUE(run({"SET", "s", "x"}).ok());
  auto wrong = run({"LPUSH", "s", "y"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::kRemote);
  EXPECT_NE(wrong.error().message.find("WRONGTYPE"), std::string::npos) << wrong.error().message;
  EXPECT_TRUE(run({"PING"}).ok());
}

TEST_F(RedisClientTest, ThousandsPipelinedInOrder) {
  std::vector<std::optional<Result<RedisReply>>> out(2000);
  for (size_t i = 0; i < out.size(); ++i) {
    spawn([](RedisClient& c, size_t i, std::optional<Result<RedisReply>>* o) -> Task<void> {
      std::vector<std::string> args{"INCR", "seq"};
      auto pending = c.command(args);
      o->emplace(co_await pending);
    }(*client, i, &out[i]));
  }
  ASSERT_TRUE(runUntil(loop, [&] { return out.back().has_value(); }, 10s));
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i] && out[i]->ok());
    EXPECT_EQ((*out[i])->integer, static_cast<int64_t>(i + 1)) << "replies came back out of order";
  }
}

TEST_F(RedisClientTest, ARedisThatDiesFailsCommandsAndIsReconnectedWhenBack) {
  ASSERT_TRUE(run({"SET", "k", "v"}).ok());
  redis.kill();
  ASSERT_TRUE(runUntil(loop, [&] { return !client->connected(); }, 5s)) << "the loss went unnoticed";
  auto start = std::chrono::steady_clock::now();
  auto down = run({"GET", "k"});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, Errc::kUnavailable) << down.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms) << "a command while down must fail at once";
  ASSERT_TRUE(redis.start());
  ASSERT_TRUE(runUntil(loop, [&] { return client->connected(); }, 5s)) << "did not reconnect by itself";
  auto back = run({"SET", "k", "again"});
  EXPECT_TRUE(back.ok()) << back.error().describe();
}

TEST_F(RedisClientTest, ACommandInFlightWhenRedisDiesFailsPromptly) {
  std::optional<Result<RedisReply>> out;
  spawn([](RedisClient& c, std::optional<Result<RedisReply>>* o) -> Task<void> {
    std::vector<std::string> args{"BLPOP", "never", "30"};  // waits on the server
    auto pending = c.command(args);
    o->emplace(co_await pending);
  }(*client, &out));
  runFor(loop, 50ms);
  EXPECT_FALSE(out.has_value());
  redis.kill();
  ASSERT_TRUE(runUntil(loop, [&] { return out.has_value(); }, 5s));
  ASSERT_FALSE(out->ok());
  EXPECT_EQ(out->error().code, Errc::kUnavailable);
}

TEST_F(RedisClientTest, DestroyingTheClientWithCommandsInFlightResumesNobody) {
  bool resumed = false;
  spawn([](RedisClient& c, bool* resumed) -> Task<void> {
    std::vector<std::string> args{"BLPOP", "never", "30"};
    auto pending = c.command(args);
    auto r = co_await pending;
    (void)r;
    *resumed = true;
  }(*client, &resumed));
  runFor(loop, 20ms);
  client.reset();
  runFor(loop, 20ms);
  EXPECT_FALSE(resumed) << "a coroutine was resumed from the client's destructor";
  EXPECT_EQ(cancelDetachedTasks(), 1u);
}

TEST_F(RedisClientTest, ScriptsRunBySha1AndAfterRedisForgotThem) {
  const char* script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
  auto run_script = [&]() -> Result<RedisReply> {
    std::optional<Result<RedisReply>> out;
    spawn([](RedisClient& c, const char* s, std::optional<Result<RedisReply>>* o) -> Task<void> {
      std::vector<std::string> rest{"1", "n", "5"};
      auto running = c.eval(s, rest);
      o->emplace(co_await std::move(running));
    }(*client, script, &out));
    if (!runUntil(loop, [&] { return out.has_value(); }, 5s)) return Error{Errc::kInternal, "watchdog"};
    return std::move(*out);
  };
  auto first = run_script();
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->integer, 5);
  ASSERT_TRUE(run({"SCRIPT", "FLUSH"}).ok());  // as after a Redis restart
  auto again = run_script();
  ASSERT_TRUE(again.ok()) << "NOSCRIPT was not answered with EVAL: " << again.error().describe();
  EXPECT_EQ(again->integer, 10);
}

TEST(RedisClientNoServer, AnUnreachableRedisIsRetriedWithoutBlocking) {
  EventLoop loop;
  RedisClient client(loop, RedisEndpoint{"127.0.0.1", 9, 300ms, 200ms});
  client.start();
  int ticks = 0;
  TimerId t = loop.runEvery(10ms, [&] { ++ticks; });
  runFor(loop, 300ms);
  loop.cancel(t);
  EXPECT_FALSE(client.connected());
  EXPECT_GE(ticks, 20) << "the loop stalled on connecting";
}

}  // namespace
}  // namespace polis::db
