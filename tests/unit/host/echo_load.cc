// polis_echo_load: a steady stream of Echo calls to one node, for the
// reload-under-load tests (test_plugins.py): CALLERS coroutines each keep one
// call outstanding for SECONDS seconds, then it prints one JSON line: calls
// answered, calls failed (and the first failures' messages), the payload
// prefixes seen ("v1", "v2": which version answered) and the worst latency.
//
//   polis_echo_load <port> <callers> <seconds>     (POLIS_TEST_SECRET: the cluster secret)
// Bounded: at most 1000 callers and 120 s; exits 2 if it cannot connect.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "base/task.h"
#include "polis/bench.polis.h"
#include "rpc/rpc_client.h"
#include "support/loop_runner.h"

using namespace polis;
using namespace std::chrono_literals;

namespace {

struct Tally {
  long ok = 0;
  long failed = 0;
  std::vector<std::string> failures;
  std::map<std::string, long> versions;
  std::chrono::nanoseconds worst{0};
  int running = 0;
};

Task<void> caller(rpc::RpcClient& client, std::chrono::steady_clock::time_point until, Tally& t, int id) {
  ++t.running;
  for (long n = 0; std::chrono::steady_clock::now() < until; ++n) {
    EchoMsg req;
    req.set_payload("c" + std::to_string(id) + "-" + std::to_string(n));
    auto started = std::chrono::steady_clock::now();
    gen::Echo::Stub stub(client.channel());
    auto calling = stub.Echo(req);
    auto reply = co_await calling;
    t.worst = std::max(t.worst, std::chrono::steady_clock::now() - started);
    if (reply) {
      ++t.ok;
      ++t.versions[reply->payload().substr(0, reply->payload().find(':'))];
    } else {
      ++t.failed;
      if (t.failures.size() < 5) t.failures.push_back(reply.error().describe());
    }
  }
  --t.running;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  const char* secret = std::getenv("POLIS_TEST_SECRET");
  if (argc != 4 || !secret) {
    std::fprintf(stderr, "usage: polis_echo_load <port> <callers> <seconds> (POLIS_TEST_SECRET set)\n");
    return 2;
  }
  int callers = std::clamp(std::atoi(argv[2]), 1, 1000);
  auto seconds = std::chrono::seconds(std::clamp(std::atoi(argv[3]), 1, 120));
  EventLoop loop;
  rpc::Dispatcher dispatcher;
  rpc::ChannelOptions o;
  o.local_name = "echo-load";
  o.secret = secret;
  rpc::RpcClient client(loop, dispatcher, o, "127.0.0.1", static_cast<uint16_t>(std::atoi(argv[1])));
  client.start([](const rpc::Channel::Ptr&) {});
  if (!testing::runUntil(loop, [&] { return client.channel() != nullptr; }, 5s)) return 2;
  Tally t;
  auto until = std::chrono::steady_clock::now() + seconds;
  for (int i = 0; i < callers; ++i) spawn(caller(client, until, t, i));
  testing::runUntil(loop, [&] { return t.running == 0; }, seconds + 30s);
  std::string versions, failures;
  for (const auto& [v, n] : t.versions) versions += (versions.empty() ? "" : ",") + quoted(v) + ":" + std::to_string(n);
  for (const auto& f : t.failures) failures += (failures.empty() ? "" : ",") + quoted(f);
  std::printf("{\"ok\":%ld,\"failed\":%ld,\"worst_ms\":%.3f,\"versions\":{%s},\"failures\":[%s]}\n", t.ok, t.failed,
              std::chrono::duration<double, std::milli>(t.worst).count(), versions.c_str(), failures.c_str());
  return 0;
}
