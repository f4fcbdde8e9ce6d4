// bench_db: the data service's figures against their ceilings, one mode per
// run (bench/db_run.sh runs them all against a local cluster and prints the
// table). Every run is bounded by --seconds (or --rows) and prints one JSON line.
//
//   rpc-load / rpc-save   --callers coroutines on one loop call Players.Load /
//                         Players.Save of cached players on a real db node
//                         (a saver keeps the version each save returns)
//   redis-get / redis-set the same number of callers doing GET / SET of the
//                         same blob straight on the same Redis (hiredis async):
//                         the ceiling of the two modes above
//   flush-batch           player rows written with the write-behind's own
//                         statement (db/player_rows.h), db.flush.batch rows each
//   flush-single          the same rows one autocommit INSERT … ON DUPLICATE
//                         KEY UPDATE each: the baseline of flush-batch
#include <cppconn/prepared_statement.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/sleep.h"
#include "base/task.h"
#include "bench_args.h"
#include "db/mysql_session.h"
#include "db/player_rows.h"
#include "db/redis_client.h"
#include "polis/db.polis.h"
#include "rpc/rpc_client.h"

namespace {

using namespace polis;
using Clock = std::chrono::steady_clock;

struct Run {
  std::string mode;
  long callers, seconds, players, payload;
};

void report(const Run& run, uint64_t ops, double seconds, uint64_t errors) {
  std::printf("{\"mode\":\"%s\",\"callers\":%ld,\"ops\":%llu,\"seconds\":%.3f,\"ops_per_sec\":%.0f,\"errors\":%llu}\n",
              run.mode.c_str(), run.callers, static_cast<unsigned long long>(ops), seconds, ops / seconds,
              static_cast<unsigned long long>(errors));
}

struct Tally {
  uint64_t ops = 0, errors = 0;
  int running = 0;
};

// One caller: `one` back to back until the deadline. `one` (the closure) is
// a parameter, so it lives in this frame while its coroutines run.
template <class Op>
Task<void> caller(Op one, long c, Clock::time_point deadline, Tally* tally) {
  for (uint64_t i = 0; Clock::now() < deadline; ++i) {
    auto op = one(c, i);
    bool ok = co_await std::move(op);
    ++(ok ? tally->ops : tally->errors);
  }
  --tally->running;
}

// Runs `callers` copies of `one` (an awaitable operation returning ok/not ok)
// back to back until the time is up; counts completions.
template <class Op>
void drive(EventLoop& loop, const Run& run, Op one) {
  Tally tally;
  tally.running = static_cast<int>(run.callers);
  auto deadline = Clock::now() + std::chrono::seconds(run.seconds);
  auto start = Clock::now();
  for (long c = 0; c < run.callers; ++c) spawn(caller(one, c, deadline, &tally));
  int& running = tally.running;
  TimerId poll = loop.runEvery(std::chrono::milliseconds(10), [&] { if (running == 0) loop.quit(); });
  loop.run();
  loop.cancel(poll);
  report(run, tally.ops, std::chrono::duration<double>(Clock::now() - start).count(), tally.errors);
}

std::string blob(long payload) { return std::string(static_cast<size_t>(payload), 'p'); }

int rpcMode(bench::Args& args, const Run& run) {
  auto port = static_cast<uint16_t>(args.num("port", 0, 1, 65535));
  std::string secret = args.str("secret", "");
  args.rejectUnknown();
  EventLoop loop;
  rpc::Dispatcher dispatcher;
  rpc::ChannelOptions o;
  o.local_name = "bench-db";
  o.secret = secret;
  rpc::RpcClient client(loop, dispatcher, o, "127.0.0.1", port);
  client.start([&](const rpc::Channel::Ptr&) { loop.quit(); });
  TimerId give_up = loop.runAfter(std::chrono::seconds(10), [&] { loop.quit(); });
  loop.run();
  loop.cancel(give_up);
  if (!client.channel()) args.fail("could not connect to the db node");
  gen::Players::Stub players(client.channel());
  // Players 1..N exist and are cached (created by this mode's first run; the
  // later ones find them and only load them once to cache them).
  for (long p = 1; p <= run.players; ++p) {
    CreatePlayerReq req;
    req.set_player_id(static_cast<uint64_t>(p));
    req.set_data(blob(run.payload));
    bool done = false;
    players.Create(req, [&](Result<Player>) {
      LoadPlayerReq load;
      load.set_player_id(static_cast<uint64_t>(p));
      players.Load(load, [&](Result<Player>) { done = true; });
    });
    while (!done) event_base_loop(loop.base(), EVLOOP_ONCE);
  }
  std::string data = blob(run.payload);
  if (run.mode == "rpc-load") {
    drive(loop, run, [players, &run](long c, uint64_t i) -> Task<bool> {
      LoadPlayerReq req;
      req.set_player_id(static_cast<uint64_t>(1 + (c * 7919 + static_cast<long>(i)) % run.players));
      auto loading = players.Load(req);
      auto r = co_await loading;
      co_return r.ok();
    });
  } else {
    // Each caller saves its own player and keeps the version each save
    // returns, so a save is one call (a load only to start, or after a conflict).
    auto versions = std::make_shared<std::vector<uint64_t>>(static_cast<size_t>(run.callers), 0);
    drive(loop, run, [players, data, versions, &run](long c, uint64_t) -> Task<bool> {
      uint64_t id = static_cast<uint64_t>(1 + c % run.players);
      uint64_t& version = (*versions)[static_cast<size_t>(c)];
      if (version == 0) {
        LoadPlayerReq load;
        load.set_player_id(id);
        auto loading = players.Load(load);
        auto current = co_await loading;
        if (!current) co_return false;
        version = current->version();
      }
      SavePlayerReq req;
      req.set_player_id(id);
      req.set_expected_version(version);
      req.set_data(data);
      auto saving = players.Save(req);
      auto saved = co_await saving;
      version = saved ? saved->version() : 0;
      co_return saved.ok();
    });
  }
  return 0;
}

int redisMode(bench::Args& args, const Run& run) {
  auto port = static_cast<uint16_t>(args.num("redis-port", 0, 1, 65535));
  args.rejectUnknown();
  EventLoop loop;
  db::RedisClient redis(loop, db::RedisEndpoint{"127.0.0.1", port});
  redis.start();
  TimerId poll = loop.runEvery(std::chrono::milliseconds(1), [&] { if (redis.connected()) loop.quit(); });
  loop.run();
  loop.cancel(poll);
  std::string data = blob(run.payload);
  bool get = run.mode == "redis-get";
  for (long p = 1; p <= run.players && get; ++p) {
    std::vector<std::string> set{"SET", "bench:" + std::to_string(p), data};
    auto pending = redis.command(set);
    while (!pending.await_ready()) event_base_loop(loop.base(), EVLOOP_ONCE);
  }
  drive(loop, run, [&redis, data, get, &run](long c, uint64_t i) -> Task<bool> {
    std::string key = "bench:" + std::to_string(1 + (c * 7919 + static_cast<long>(i)) % run.players);
    std::vector<std::string> args = get ? std::vector<std::string>{"GET", key} : std::vector<std::string>{"SET", key, data};
    auto pending = redis.command(args);
    auto reply = co_await pending;
    co_return reply.ok();
  });
  return 0;
}

int flushMode(bench::Args& args, const Run& run) {
  db::MysqlConfig config;
  config.port = static_cast<uint16_t>(args.num("mysql-port", 0, 1, 65535));
  config.database = args.str("database", "polis");
  config.user = args.str("user", "root");
  long rows = args.num("rows", 20000, 1, 10000000);
  long batch = args.num("batch", 500, 1, 5000);
  args.rejectUnknown();
  db::initMysqlDriver();
  db::MysqlThreadScope scope;
  auto conn = db::connectMysql(config);
  if (!conn) args.fail(conn.error().describe());
  std::string data = blob(run.payload);
  // A fresh version per run, so every row really changes.
  uint64_t version = static_cast<uint64_t>(Clock::now().time_since_epoch().count() / 1000);
  auto row = [&](long i) {
    Player p;
    p.set_player_id(static_cast<uint64_t>(900000000 + i));
    p.set_account_id(1);
    p.set_version(version);
    p.set_data(data);
    p.set_updated_at_ms(1);
    return p;
  };
  auto start = Clock::now();
  uint64_t errors = 0;
  if (run.mode == "flush-batch") {
    for (long first = 0; first < rows; first += batch) {
      std::vector<Player> chunk;
      for (long i = first; i < std::min(rows, first + batch); ++i) chunk.push_back(row(i));
      try {
        if (!db::upsertPlayers(**conn, chunk)) ++errors;
      } catch (const sql::SQLException&) {
        ++errors;
      }
    }
  } else {
    for (long i = 0; i < rows; ++i) {
      try {
        if (!db::upsertPlayers(**conn, {row(i)})) ++errors;  // one row, autocommit
      } catch (const sql::SQLException&) {
        ++errors;
      }
    }
  }
  Run shown = run;
  shown.callers = 1;
  report(shown, static_cast<uint64_t>(rows), std::chrono::duration<double>(Clock::now() - start).count(), errors);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args(argc, argv,
                   "bench_db --mode=rpc-load|rpc-save|redis-get|redis-set|flush-batch|flush-single [--callers=100] "
                   "[--seconds=5] [--players=1000] [--payload=256] [--port=P --secret=S] [--redis-port=P] "
                   "[--mysql-port=P --database=D --user=U --rows=N --batch=N]");
  Run run{args.str("mode", ""), args.num("callers", 100, 1, 10000), args.num("seconds", 5, 1, 60),
          args.num("players", 1000, 1, 1000000), args.num("payload", 256, 1, 1 << 20)};
  log::init("bench-db", "warn", log::Format::kHuman);
  if (run.mode == "rpc-load" || run.mode == "rpc-save") return rpcMode(args, run);
  if (run.mode == "redis-get" || run.mode == "redis-set") return redisMode(args, run);
  if (run.mode == "flush-batch" || run.mode == "flush-single") return flushMode(args, run);
  args.fail("unknown --mode");
}
