// The writer of the kill-and-compare ledger (tests/integration/test_db_durability.py):
// creates players and saves each of them many times through the db nodes
// named by POLIS_TEST_DB_RPC_PORTS (round robin), reloading and retrying on
// conflicts and failures, and appends every ACKNOWLEDGED save to the file
// POLIS_TEST_LEDGER as "player version data". The test around it kills
// things meanwhile or afterwards, then checks that every acknowledged save is
// in Redis and MariaDB. POLIS_TEST_LEDGER_NO_CREATE: the players exist
// (created by an earlier run). Skips unless POLIS_TEST_LEDGER is set.
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

TEST(Ledger, Write) {
  const char* path = std::getenv("POLIS_TEST_LEDGER");
  const char* port_list = std::getenv("POLIS_TEST_DB_RPC_PORTS");
  const char* secret = std::getenv("POLIS_TEST_SECRET");
  if (!path || !port_list || !secret) GTEST_SKIP() << "run by tests/integration/test_db_durability.py";
  size_t players = envSize("POLIS_TEST_LEDGER_PLAYERS", 50), saves = envSize("POLIS_TEST_LEDGER_SAVES", 20);
  uint64_t first = envSize("POLIS_TEST_LEDGER_FIRST_ID", 1000);
  EventLoop loop;
  rpc::Dispatcher dispatcher;
  std::vector<std::unique_ptr<rpc::RpcClient>> clients;
  for (uint16_t port : ports(port_list)) {
    rpc::ChannelOptions o;
    o.local_name = "ledger-writer";
    o.secret = secret;
    clients.push_back(std::make_unique<rpc::RpcClient>(loop, dispatcher, o, "127.0.0.1", port));
    clients.back()->start([](const rpc::Channel::Ptr&) {});
  }
  ASSERT_TRUE(polis::testing::runUntil(loop, [&] { return clients[0]->channel() != nullptr; }, 10s));
  std::ofstream ledger(path, std::ios::app);
  Writer writer{clients, ledger};
  int done = 0;
  bool create = !std::getenv("POLIS_TEST_LEDGER_NO_CREATE");  // the players exist already
  for (size_t p = 0; p < players; ++p) spawn(writePlayer(writer, loop, first + p, saves, create, &done));
  ASSERT_TRUE(polis::testing::runUntil(loop, [&] { return done == static_cast<int>(players); }, 90s))
      << done << " of " << players << " players finished";
  ledger.flush();
  std::printf("ledger: %zu players x %zu acknowledged saves; %d conflicts or failures retried\n", players, saves,
              writer.failures);
  clients.clear();
  polis::testing::runFor(loop, 20ms);
}

}  // namespace
}  // namespace polis::db::testing
