// The writer of the kill-and-compare ledger (tests/integration/test_db_durability.py):
// creates players and saves each of them many times through the db nodes
// named by POLIS_TEST_DB_RPC_PORTS (round robin), reloading and retrying on
// conflicts and failures, and appends every ACKNOWLEDGED save to the file
// POLIS_TEST_LEDGER as "player version data". The test around it kills
// things meanwhile or afterwards, then checks that every acknowledged save is
// in Redis and MariaDB. POLIS_TEST_LEDGER_NO_CREATE: the players exist
// (created by an earlier run). Ledger.Scores does the same for leaderboard
// scores. Both skip unless POLIS_TEST_LEDGER is set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/sleep.h"
#include "base/task.h"
#include "polis/db.polis.h"
#include "rpc/rpc_client.h"
#include "support/loop_runner.h"

namespace polis::db::testing {
namespace {

using namespace std::chrono_literals;

std::vector<uint16_t> ports(const char* list) {
  std::vector<uint16_t> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(static_cast<uint16_t>(std::stoi(item)));
  return out;
}

size_t envSize(const char* name, size_t def) {
  const char* v = std::getenv(name);
  return v ? static_cast<size_t>(std::stoul(v)) : def;
}

struct Writer {
  std::vector<std::unique_ptr<rpc::RpcClient>>& clients;
  std::ofstream& ledger;
  size_t next = 0;
  int failures = 0;

  // Any connected client, round robin.
  std::shared_ptr<rpc::Channel> channel() {
    for (size_t i = 0; i < clients.size(); ++i) {
      auto ch = clients[next++ % clients.size()]->channel();
      if (ch) return ch;
    }
    return nullptr;
  }
};

Task<void> writePlayer(Writer& w, EventLoop& loop, uint64_t id, size_t saves, bool create, int* done) {
  for (int attempt = 0; create && attempt < 1000; ++attempt) {  // create, through outages
    gen::Players::Stub stub(w.channel());
    CreatePlayerReq req;
    req.set_player_id(id);
    req.set_account_id(id);
    req.set_data(std::to_string(id) + ":1");
    auto creating = stub.Create(req);
    auto created = co_await creating;
    if (created || created.error().code == Errc::kAlreadyExists) break;
    auto pause = sleepFor(loop, 20ms);
    co_await pause;
  }
  for (size_t s = 0; s < saves;) {
    gen::Players::Stub stub(w.channel());
    LoadPlayerReq load_req;
    load_req.set_player_id(id);
    auto loading = stub.Load(load_req);
    auto current = co_await loading;
    if (!current) {
      ++w.failures;
      auto pause = sleepFor(loop, 20ms);
      co_await pause;
      continue;
    }
    SavePlayerReq req;
    req.set_player_id(id);
    req.set_expected_version(current->version());
    req.set_data(std::to_string(id) + ":" + std::to_string(current->version() + 1));
    auto saving = stub.Save(req);
    auto saved = co_await saving;
    if (saved) {
      w.ledger << id << ' ' << saved->version() << ' ' << req.data() << '\n';
      ++s;
    } else {
      ++w.failures;  // a conflict, or an outage: reload and try again
      if (saved.error().code != Errc::kVersionConflict) {
        auto pause = sleepFor(loop, 5ms);
        co_await pause;
      }
    }
  }
  ++*done;
}

Task<void> defineBoard(Writer& w, EventLoop& loop, std::string board, int* done) {
  for (int attempt = 0; attempt < 1000; ++attempt) {  // through outages
    gen::Leaderboards::Stub stub(w.channel());
    DefineLeaderboardReq req;
    req.mutable_def()->set_board(board);
    req.mutable_def()->set_policy(LEADERBOARD_POLICY_LATEST);
    req.mutable_def()->set_order(LEADERBOARD_ORDER_HIGH_FIRST);
    auto defining = stub.Define(req);
    auto defined = co_await defining;
    if (defined) break;
    auto pause = sleepFor(loop, 20ms);
    co_await pause;
  }
  ++*done;
}

Task<void> submitScores(Writer& w, EventLoop& loop, std::string board, uint64_t id, int64_t first,
                        size_t submits, int* done) {
  for (size_t s = 1; s <= submits;) {
    gen::Leaderboards::Stub stub(w.channel());
    SubmitScoreReq req;
    req.set_board(board);
    req.set_player_id(id);
    req.set_score(first + static_cast<int64_t>(s));  // on failure the same score again: LATEST makes that idempotent
    auto submitting = stub.Submit(req);
    auto submitted = co_await submitting;
    if (submitted && submitted->score() == req.score()) {
      w.ledger << id << ' ' << req.score() << '\n';
      ++s;
    } else {
      ++w.failures;
      auto pause = sleepFor(loop, 5ms);
      co_await pause;
    }
  }
  ++*done;
}

// Clients of every db node in POLIS_TEST_DB_RPC_PORTS, the ledger file, and
// the loop they run on; runs `start` for each of `count` items until all are done.
class LedgerRun {
 public:
  bool ready() {
    const char* port_list = std::getenv("POLIS_TEST_DB_RPC_PORTS");
    const char* secret = std::getenv("POLIS_TEST_SECRET");
    path_ = std::getenv("POLIS_TEST_LEDGER");
    if (!path_ || !port_list || !secret) return false;
    for (uint16_t port : ports(port_list)) {
      rpc::ChannelOptions o;
      o.local_name = "ledger-writer";
      o.secret = secret;
      clients_.push_back(std::make_unique<rpc::RpcClient>(loop_, dispatcher_, o, "127.0.0.1", port));
      clients_.back()->start([](const rpc::Channel::Ptr&) {});
    }
    ledger_.open(path_, std::ios::app);
    return polis::testing::runUntil(loop_, [&] { return clients_[0]->channel() != nullptr; }, 10s);
  }
  template <class Start>
  bool run(size_t count, Start start) {
    int done = 0;
    for (size_t i = 0; i < count; ++i) spawn(start(writer_, loop_, i, &done));
    bool finished = polis::testing::runUntil(loop_, [&] { return done == static_cast<int>(count); }, 90s);
    ledger_.flush();
    return finished;
  }
  int failures() const { return writer_.failures; }
  ~LedgerRun() {
    clients_.clear();
    polis::testing::runFor(loop_, 20ms);
  }

 private:
  const char* path_ = nullptr;
  EventLoop loop_;
  rpc::Dispatcher dispatcher_;
  std::vector<std::unique_ptr<rpc::RpcClient>> clients_;
  std::ofstream ledger_;
  Writer writer_{clients_, ledger_};
};

TEST(Ledger, Write) {
  LedgerRun run;
  if (!std::getenv("POLIS_TEST_LEDGER")) GTEST_SKIP() << "run by tests/integration/test_db_durability.py";
  ASSERT_TRUE(run.ready());
  size_t players = envSize("POLIS_TEST_LEDGER_PLAYERS", 50), saves = envSize("POLIS_TEST_LEDGER_SAVES", 20);
  uint64_t first = envSize("POLIS_TEST_LEDGER_FIRST_ID", 1000);
  bool create = !std::getenv("POLIS_TEST_LEDGER_NO_CREATE");  // the players exist already
  ASSERT_TRUE(run.run(players, [&](Writer& w, EventLoop& loop, size_t p, int* done) {
    return writePlayer(w, loop, first + p, saves, create, done);
  })) << "not every player finished";
  std::printf("ledger: %zu players x %zu acknowledged saves; %d conflicts or failures retried\n", players, saves,
              run.failures());
}

// The same for leaderboard scores: POLIS_TEST_LEDGER_BOARD (defined here,
// LATEST and never reset) gets scores first+1 … first+N for each player,
// each retried until acknowledged and appended as "player score".
TEST(Ledger, Scores) {
  LedgerRun run;
  const char* board = std::getenv("POLIS_TEST_LEDGER_BOARD");
  if (!board || !std::getenv("POLIS_TEST_LEDGER")) GTEST_SKIP() << "run by tests/integration/test_db_durability.py";
  ASSERT_TRUE(run.ready());
  size_t players = envSize("POLIS_TEST_LEDGER_PLAYERS", 50), submits = envSize("POLIS_TEST_LEDGER_SAVES", 20);
  uint64_t first_id = envSize("POLIS_TEST_LEDGER_FIRST_ID", 1000);
  auto first_score = static_cast<int64_t>(envSize("POLIS_TEST_LEDGER_FIRST_SCORE", 0));
  if (!std::getenv("POLIS_TEST_LEDGER_NO_CREATE")) {  // else defined by an earlier run
    ASSERT_TRUE(run.run(1, [&](Writer& w, EventLoop& loop, size_t, int* done) {
      return defineBoard(w, loop, board, done);
    })) << "could not define the board";
  }
  ASSERT_TRUE(run.run(players, [&](Writer& w, EventLoop& loop, size_t p, int* done) {
    return submitScores(w, loop, board, first_id + p, first_score, submits, done);
  })) << "not every player finished";
  std::printf("ledger: %zu players x %zu acknowledged scores; %d failures retried\n", players, submits,
              run.failures());
}

}  // namespace
}  // namespace polis::db::testing
