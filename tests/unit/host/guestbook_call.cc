// polis_guestbook_call: game.Guestbook calls to a running node, for the
// integration tests (test_lua.py, test_guestbook.py): the Lua script and the
// plugin answer alike. The cluster secret comes
// from POLIS_TEST_SECRET. Exits 2 on bad usage or no connection.
//
//   polis_guestbook_call <port> sign <name> <text>     prints the SignAck (text format) or "error <code>: <message>"
//   polis_guestbook_call <port> latest <limit>         prints the Entries
//   polis_guestbook_call <port> stream <seconds> <in-flight>
//       signs as fast as replies come, `in-flight` calls outstanding, for `seconds`;
//       prints "ok=N failed=M max_entry_id=K" then the first few errors, one a line
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "game/guestbook.polis.h"
#include "rpc/rpc_client.h"
#include "support/loop_runner.h"

using namespace polis;
using namespace std::chrono_literals;

namespace {

std::string describe(const Error& e) { return "error " + std::string(errcName(e.code)) + ": " + e.message; }

struct Stream {
  game::gen::Guestbook::Stub stub;
  std::chrono::steady_clock::time_point until;
  int ok = 0;
  int failed = 0;
  int outstanding = 0;
  uint64_t max_id = 0;
  std::vector<std::string> errors;

  void sign() {
    game::Sign req;
    req.set_name("streamer");
    req.set_text("entry " + std::to_string(ok + failed + outstanding));
    ++outstanding;
    stub.Sign(req, [this](Result<game::SignAck> ack) {
      --outstanding;
      if (ack) {
        ++ok;
        max_id = std::max<uint64_t>(max_id, ack->entry_id());
      } else {
        ++failed;
        if (errors.size() < 5) errors.push_back(describe(ack.error()));
      }
      if (std::chrono::steady_clock::now() < until) sign();
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  const char* secret = std::getenv("POLIS_TEST_SECRET");
  if (argc < 3 || !secret) {
    std::fprintf(stderr, "usage: polis_guestbook_call <port> sign|latest|stream ... (POLIS_TEST_SECRET set)\n");
    return 2;
  }
  EventLoop loop;
  rpc::Dispatcher dispatcher;
  rpc::ChannelOptions o;
  o.local_name = "guestbook-call";
  o.secret = secret;
  o.default_timeout = 5s;
  rpc::RpcClient client(loop, dispatcher, o, "127.0.0.1", static_cast<uint16_t>(std::atoi(argv[1])));
  client.start([](const rpc::Channel::Ptr&) {});
  if (!testing::runUntil(loop, [&] { return client.channel() != nullptr; }, 5s)) return 2;
  game::gen::Guestbook::Stub stub(client.channel());
  std::string op = argv[2];
  bool done = false;
  if (op == "sign" && argc == 5) {
    game::Sign req;
    req.set_name(argv[3]);
    req.set_text(argv[4]);
    stub.Sign(req, [&](Result<game::SignAck> r) {
      std::printf("%s\n", r ? r->ShortDebugString().c_str() : describe(r.error()).c_str());
      done = true;
    });
  } else if (op == "latest" && argc == 4) {
    game::Latest req;
    req.set_limit(static_cast<uint32_t>(std::atoi(argv[3])));
    stub.Latest(req, [&](Result<game::Entries> r) {
      std::printf("%s\n", r ? r->ShortDebugString().c_str() : describe(r.error()).c_str());
      done = true;
    });
  } else if (op == "stream" && argc == 5) {
    Stream stream{stub, std::chrono::steady_clock::now() + std::chrono::milliseconds(int(std::atof(argv[3]) * 1000)),
                  0, 0, 0, 0, {}};
    for (int i = 0; i < std::atoi(argv[4]); ++i) stream.sign();
    auto limit = std::chrono::milliseconds(int(std::atof(argv[3]) * 1000)) + 10s;
    if (!testing::runUntil(loop, [&] { return stream.outstanding == 0; }, limit)) return 2;
    std::printf("ok=%d failed=%d max_entry_id=%llu\n", stream.ok, stream.failed,
                static_cast<unsigned long long>(stream.max_id));
    for (const auto& e : stream.errors) std::printf("%s\n", e.c_str());
    return 0;
  } else {
    std::fprintf(stderr, "bad arguments for %s\n", op.c_str());
    return 2;
  }
  return testing::runUntil(loop, [&] { return done; }, 10s) ? 0 : 2;
}
