// polis_db_call: one Leaderboards call to a running polis-db, for the
// integration tests that change a board between faults. Prints the reply
// (protobuf text format, one line) or "error <code>: <message>"; exits 0
// either way (the test reads the line), 2 on bad usage or no connection.
//
//   polis_db_call <port> reset <board>
//   polis_db_call <port> submit <board> <player> <score>
//   polis_db_call <port> top <board> [<generation> <index>]
// The cluster secret comes from POLIS_TEST_SECRET.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "base/task.h"
#include "polis/db.polis.h"
#include "rpc/rpc_client.h"
#include "support/loop_runner.h"

using namespace polis;
using namespace std::chrono_literals;

namespace {

template <class Reply>
void print(const Result<Reply>& r) {
  if (r) {
    std::printf("%s\n", r->ShortDebugString().c_str());
  } else {
    std::printf("error %s: %s\n", std::string(errcName(r.error().code)).c_str(), r.error().message.c_str());
  }
}

template <class MakeCall>
bool callAndPrint(EventLoop& loop, MakeCall make) {
  bool done = false;
  spawn([](MakeCall make, bool* done) -> Task<void> {
    auto pending = make();
    auto reply = co_await pending;
    print(reply);
    *done = true;
  }(make, &done));
  return testing::runUntil(loop, [&] { return done; }, 10s);
}

}  // namespace

int main(int argc, char** argv) {
  const char* secret = std::getenv("POLIS_TEST_SECRET");
  if (argc < 4 || !secret) {
    std::fprintf(stderr, "usage: polis_db_call <port> reset|submit|top <board> ... (POLIS_TEST_SECRET set)\n");
    return 2;
  }
  EventLoop loop;
  rpc::Dispatcher dispatcher;
  rpc::ChannelOptions o;
  o.local_name = "db-call";
  o.secret = secret;
  rpc::RpcClient client(loop, dispatcher, o, "127.0.0.1", static_cast<uint16_t>(std::atoi(argv[1])));
  client.start([](const rpc::Channel::Ptr&) {});
  if (!testing::runUntil(loop, [&] { return client.channel() != nullptr; }, 5s)) return 2;
  std::string op = argv[2], board = argv[3];
  gen::Leaderboards::Stub stub(client.channel());
  bool answered = false;
  if (op == "reset") {
    ResetLeaderboardReq req;
    req.set_board(board);
    answered = callAndPrint(loop, [&] { return stub.Reset(req); });
  } else if (op == "submit" && argc == 6) {
    SubmitScoreReq req;
    req.set_board(board);
    req.set_player_id(std::strtoull(argv[4], nullptr, 10));
    req.set_score(std::strtoll(argv[5], nullptr, 10));
    answered = callAndPrint(loop, [&] { return stub.Submit(req); });
  } else if (op == "top") {
    TopScoresReq req;
    req.set_board(board);
    req.set_limit(100);
    if (argc == 6) {
      req.mutable_period()->set_generation(std::strtoull(argv[4], nullptr, 10));
      req.mutable_period()->set_index(std::strtoll(argv[5], nullptr, 10));
    }
    answered = callAndPrint(loop, [&] { return stub.Top(req); });
  } else {
    std::fprintf(stderr, "unknown call %s\n", op.c_str());
    return 2;
  }
  return answered ? 0 : 2;
}
