// bench_rpc_server: a real Polis RPC server for the node-to-node benchmark.
// polis::EventLoop + polis::rpc::RpcServer + the generated Echo service, with
// the same handshake, dispatch, metrics and coroutine path every node uses.
// Only the handler is trivial (it returns the request).
//
// Prints "port=N" on stdout once listening; exits after --max-seconds.
// The cluster secret comes from --secret or POLIS_CLUSTER__SECRET.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "bench_args.h"
#include "base/event_loop.h"
#include "base/log.h"
#include "polis/bench.polis.h"
#include "rpc/rpc_server.h"

namespace {

class EchoService final : public polis::gen::Echo::Service {
 public:
  polis::Task<polis::Result<polis::EchoMsg>> Echo(polis::Call&, const polis::EchoMsg& req) override {
    co_return req;
  }
  polis::Task<void> Push(polis::Call&, const polis::EchoMsg&) override { co_return; }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace polis;
  bench::Args args(argc, argv, "bench_rpc_server [--port=0] [--secret=S] [--max-seconds=600]");
  auto port = static_cast<uint16_t>(args.num("port", 0, 0, 65535));
  long max_seconds = args.num("max-seconds", 600, 1, 3600);
  const char* env_secret = std::getenv("POLIS_CLUSTER__SECRET");
  std::string secret = args.str("secret", env_secret ? env_secret : "");
  args.rejectUnknown();
  if (secret.size() < 16) args.fail("the secret (--secret or POLIS_CLUSTER__SECRET) needs at least 16 characters");
  log::init("bench-rpc", "warn", log::Format::kHuman);

  EventLoop loop;
  EchoService service;
  rpc::HandlerTable table;
  service.bindTo(table);
  rpc::Dispatcher dispatcher;
  dispatcher.install(std::make_shared<const rpc::HandlerTable>(std::move(table)));

  rpc::ChannelOptions options;
  options.local_name = "bench-rpc";
  options.secret = secret;
  rpc::RpcServer server(loop, dispatcher, options, "127.0.0.1", port);
  auto bound = server.start();
  if (!bound) {
    std::fprintf(stderr, "bench_rpc_server: %s\n", bound.error().describe().c_str());
    return 1;
  }
  std::printf("port=%u\n", *bound);
  std::fflush(stdout);

  // Bounded: the server stops by itself even if nobody kills it.
  loop.runAfter(std::chrono::seconds(max_seconds), [&] { loop.quit(); });
  loop.run();
  server.closeAll("benchmark over");
  return 0;
}
