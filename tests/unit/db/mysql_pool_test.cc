// MysqlPool against a real MariaDB. The server's address comes from
// POLIS_TEST_MYSQL_PORT (and _USER, _DATABASE); tests/integration/test_db_pool.py
// starts MariaDB through the launcher and runs this binary. Without the
// variable every test is skipped, so a plain `ctest` on a machine without a
// database does not fail for the wrong reason — the integration run does not skip.
#include "db/mysql_pool.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

#include "base/task.h"
#include "support/loop_runner.h"

namespace polis::db {
namespace {

using namespace std::chrono_literals;
using polis::testing::runUntil;

std::optional<MysqlConfig> testDatabase() {
  const char* port = std::getenv("POLIS_TEST_MYSQL_PORT");
  if (!port) return std::nullopt;
  MysqlConfig c;
  c.port = static_cast<uint16_t>(std::atoi(port));
  if (const char* user = std::getenv("POLIS_TEST_MYSQL_USER")) c.user = user;
  if (const char* db = std::getenv("POLIS_TEST_MYSQL_DATABASE")) c.database = db;
  c.workers = 2;
  return c;
}

int64_t scalar(sql::Connection& conn, const std::string& text) {
  std::unique_ptr<sql::PreparedStatement> st(conn.prepareStatement(text));
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  rs->next();
  return rs->getInt64(1);
}

class MysqlPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = testDatabase();
    if (!c) GTEST_SKIP() << "POLIS_TEST_MYSQL_PORT not set (tests/integration/test_db_pool.py sets it)";
    config = *c;
  }

  // Runs one job through the pool and the loop; the result, or a watchdog error.
  template <class T>
  Result<T> runOne(MysqlPool& pool, std::function<Result<T>(sql::Connection&)> work) {
    std::optional<Result<T>> out;
    spawn([](MysqlPool& p, std::function<Result<T>(sql::Connection&)> w, std::optional<Result<T>>* o) -> Task<void> {
      o->emplace(co_await p.run<T>(std::move(w)));
    }(pool, std::move(work), &out));
    if (!runUntil(loop, [&] { return out.has_value(); }, 10s)) return Error{Errc::kInternal, "watchdog"};
    return std::move(*out);
  }

  EventLoop loop;
  MysqlConfig config;
};

TEST_F(MysqlPoolTest, JobRunsOnAWorkerAndItsResultComesBackOnTheLoop) {
  MysqlPool pool(loop, config);
  auto loop_thread = std::this_thread::get_id();
  std::thread::id worker_thread;
  auto r = runOne<int64_t>(pool, [&](sql::Connection& c) -> Result<int64_t> {
    worker_thread = std::this_thread::get_id();
    return scalar(c, "SELECT 6 * 7");
  });
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, 42);
  EXPECT_NE(worker_thread, loop_thread) << "the job ran on the event loop's thread";
  EXPECT_TRUE(runUntil(loop, [&] { return pool.connectedWorkers() == 2; }));
}

TEST_F(MysqlPoolTest, TheLoopKeepsTurningWhileAJobBlocks) {
  MysqlPool pool(loop, config);
  int ticks = 0;
  TimerId timer = loop.runEvery(10ms, [&] { ++ticks; });
  auto r = runOne<int64_t>(pool, [](sql::Connection& c) -> Result<int64_t> { return scalar(c, "SELECT SLEEP(0.5)"); });
  loop.cancel(timer);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_GE(ticks, 25) << "the loop stalled while MariaDB worked";
}

TEST_F(MysqlPoolTest, ManyJobsAllCompleteWithAtMostOnePerWorkerAtATime) {
  MysqlPool pool(loop, config);
  std::atomic<int> running{0}, most{0};
  int done = 0, ok = 0;
  for (int i = 0; i < 100; ++i) {
    spawn([](MysqlPool& p, int i, std::atomic<int>& running, std::atomic<int>& most, int& done,
             int& ok) -> Task<void> {
      std::function<Result<int64_t>(sql::Connection&)> job = [&running, &most, i](sql::Connection& c) -> Result<int64_t> {
        int now = ++running;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {}
        int64_t v = scalar(c, "SELECT " + std::to_string(i));
        --running;
        return v;
      };
      auto r = co_await p.run<int64_t>(std::move(job));
      ++done;
      if (r && *r == i) ++ok;
    }(pool, i, running, most, done, ok));
  }
  ASSERT_TRUE(runUntil(loop, [&] { return done == 100; }, 10s));
  EXPECT_EQ(ok, 100);
  EXPECT_LE(most.load(), 2);
}

TEST_F(MysqlPoolTest, SqlErrorsAreTypedAndThePoolGoesOn) {
  MysqlPool pool(loop, config);
  auto bad = runOne<int64_t>(pool, [](sql::Connection& c) -> Result<int64_t> { return scalar(c, "SELEKT 1"); });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInternal);
  EXPECT_NE(bad.error().message.find("MariaDB error 1064"), std::string::npos) << bad.error().message;
  auto dup = runOne<int64_t>(pool, [](sql::Connection& c) -> Result<int64_t> {
    std::unique_ptr<sql::PreparedStatement>(c.prepareStatement(
        "CREATE TEMPORARY TABLE t (k INT PRIMARY KEY)"))->execute();
    std::unique_ptr<sql::PreparedStatement>(c.prepareStatement("INSERT INTO t VALUES (1)"))->execute();
    std::unique_ptr<sql::PreparedStatement>(c.prepareStatement("INSERT INTO t VALUES (1)"))->execute();
    return 0;
  });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::kAlreadyExists) << dup.error().describe();
  auto fine = runOne<int64_t>(pool, [](sql::Connection& c) -> Result<int64_t> { return scalar(c, "SELECT 1"); });
  EXPECT_TRUE(fine.ok()) << fine.error().describe();
}

TEST_F(MysqlPoolTest, AnUnreachableDatabaseFailsJobsPromptly) {
  MysqlConfig nowhere = config;
  nowhere.port = 9;  // nothing listens: refused at once
  nowhere.workers = 1;
  MysqlPool pool(loop, nowhere);
  auto start = std::chrono::steady_clock::now();
  auto r = runOne<int64_t>(pool, [](sql::Connection& c) -> Result<int64_t> { return scalar(c, "SELECT 1"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kUnavailable) << r.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(pool.connectedWorkers(), 0u);
}

TEST_F(MysqlPoolTest, AFullQueueIsRefusedNotGrown) {
  MysqlConfig small = config;
  small.workers = 1;
  small.max_queue = 2;
  MysqlPool pool(loop, small);
  int done = 0, refused = 0;
  for (int i = 0; i < 6; ++i) {
    spawn([](MysqlPool& p, int& done, int& refused) -> Task<void> {
      std::function<Result<int64_t>(sql::Connection&)> job = [](sql::Connection& c) -> Result<int64_t> {
        return scalar(c, "SELECT SLEEP(0.2)");
      };
      auto r = co_await p.run<int64_t>(std::move(job));
      ++done;
      if (!r && r.error().code == Errc::kUnavailable) ++refused;
    }(pool, done, refused));
  }
  ASSERT_TRUE(runUntil(loop, [&] { return done == 6; }, 10s));
  EXPECT_GE(refused, 3) << "one running and two queued; the rest must be refused";
}

TEST_F(MysqlPoolTest, AnIdleConnectionTheServerDroppedIsReplacedBeforeTheNextJob) {
  MysqlConfig one = config;
  one.workers = 1;
  MysqlPool pool(loop, one);
  MysqlPool killer(loop, config);
  auto first = runOne<int64_t>(pool, [](sql::Connection& c) -> Result<int64_t> { return scalar(c, "SELECT CONNECTION_ID()"); });
  ASSERT_TRUE(first.ok()) << first.error().describe();
  auto killed = runOne<int64_t>(killer, [id = *first](sql::Connection& c) -> Result<int64_t> {
    std::unique_ptr<sql::PreparedStatement>(c.prepareStatement("KILL CONNECTION " + std::to_string(id)))->execute();
    return 0;
  });
  ASSERT_TRUE(killed.ok()) << killed.error().describe();
  polis::testing::runFor(loop, 2500ms);  // the idle worker checks its connection every second
  auto next = runOne<int64_t>(pool, [](sql::Connection& c) -> Result<int64_t> { return scalar(c, "SELECT CONNECTION_ID()"); });
  ASSERT_TRUE(next.ok()) << "the first job after the server dropped the connection failed: " << next.error().describe();
  EXPECT_NE(*next, *first);
}

TEST_F(MysqlPoolTest, AReplicaPoolReadsButCannotWriteAndHasItsOwnGauges) {
  MysqlPool primary(loop, config);
  MysqlPool replica(loop, config, MysqlTarget::kReplica);  // the same server, as a replica would be reached
  auto made = runOne<int64_t>(primary, [](sql::Connection& c) -> Result<int64_t> {
    std::unique_ptr<sql::PreparedStatement>(c.prepareStatement(
        "CREATE TABLE IF NOT EXISTS replica_probe (k INT PRIMARY KEY)"))->execute();
    return 0;
  });
  ASSERT_TRUE(made.ok()) << made.error().describe();
  auto read = runOne<int64_t>(replica, [](sql::Connection& c) -> Result<int64_t> {
    return scalar(c, "SELECT COUNT(*) FROM replica_probe");
  });
  EXPECT_TRUE(read.ok()) << read.error().describe();
  auto write = runOne<int64_t>(replica, [](sql::Connection& c) -> Result<int64_t> {
    std::unique_ptr<sql::PreparedStatement>(c.prepareStatement("INSERT INTO replica_probe VALUES (1)"))->execute();
    return 0;
  });
  ASSERT_FALSE(write.ok()) << "a replica pool wrote";
  EXPECT_NE(write.error().message.find("MariaDB error 1792"), std::string::npos) << write.error().message;
  ASSERT_TRUE(runUntil(loop, [&] { return replica.connectedWorkers() == 2; }));
  std::string text = metrics::Registry::global().renderPrometheus();
  std::string label = "{replica=\"" + config.host + ":" + std::to_string(config.port) + "\"}";
  EXPECT_NE(text.find("polis_db_mysql_replica_connected_workers" + label + " 2"), std::string::npos) << text;
  EXPECT_NE(text.find("polis_db_mysql_replica_queue_depth" + label), std::string::npos);
  EXPECT_NE(text.find("polis_db_mysql_connected_workers 2"), std::string::npos) << "the primary's gauge";
}

}  // namespace
}  // namespace polis::db
