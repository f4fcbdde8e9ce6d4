// bench_lua_server: a standalone Polis node (the code every node runs)
// serving polis.Echo.Echo with the built-in C++ handler (--handler=cpp) or
// with bench/lua/echo.lua under the Lua host (--handler=lua), so the two
// compare on the same path. --reload-every-ms=N reloads the script every N ms
// (alternating two versions of the file, so every reload compiles and swaps).
//
// Prints "port=N" once listening; on exit (SIGTERM or --max-seconds) prints
// "reloads=N longest_reload_us=X" — how long the longest reload held the loop.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/log.h"
#include "bench_args.h"
#include "host/lua/lua_host.h"
#include "polis/bench.polis.h"

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
  bench::Args args(argc, argv,
                   "bench_lua_server --handler=cpp|lua [--script=bench/lua/echo.lua] [--reload-every-ms=0] "
                   "[--port=0] [--secret=S] [--max-seconds=600]");
  std::string handler = args.str("handler", "");
  std::string script = args.str("script", "bench/lua/echo.lua");
  long reload_ms = args.num("reload-every-ms", 0, 0, 60000);
  auto port = static_cast<uint16_t>(args.num("port", 0, 0, 65535));
  long max_seconds = args.num("max-seconds", 600, 1, 3600);
  const char* env_secret = std::getenv("POLIS_CLUSTER__SECRET");
  std::string secret = args.str("secret", env_secret ? env_secret : "");
  args.rejectUnknown();
  if (handler != "cpp" && handler != "lua") args.fail("--handler must be cpp or lua");
  if (secret.size() < 16) args.fail("the secret (--secret or POLIS_CLUSTER__SECRET) needs at least 16 characters");
  log::init("bench-lua", "warn", log::Format::kHuman);

  NodeConfig config;
  config.role = "micro";
  config.name = "bench-" + handler;
  config.secret = secret;
  config.rpc_port = port;
  Node node(config);
  node.standalone();
  EchoService builtin;
  lua::LuaHost* host = nullptr;
  char folder[] = "/tmp/polis-bench-lua-XXXXXX";
  std::string source;
  if (handler == "cpp") {
    node.addService(builtin);
  } else {
    std::ifstream in(script);
    std::ostringstream text;
    text << in.rdbuf();
    source = text.str();
    if (!in || !mkdtemp(folder)) args.fail("cannot read " + script + " or make a temporary folder");
    std::ofstream(std::string(folder) + "/echo.lua") << source;
    lua::LuaConfig lua;
    lua.scripts = folder;
    lua.descriptor_set = POLIS_DESCRIPTOR_SET;
    auto made = lua::LuaHost::create(node, lua);
    if (!made) args.fail("the Lua host did not start: " + made.error().message);
    host = &node.adopt(std::move(*made));
  }
  int reloads = 0;
  std::chrono::nanoseconds longest{0};
  if (host && reload_ms > 0) {
    node.loop().runEvery(std::chrono::milliseconds(reload_ms), [&] {
      std::ofstream(std::string(folder) + "/echo.lua") << source << "-- version " << ++reloads << "\n";
      auto start = std::chrono::steady_clock::now();
      auto done = host->reload();
      longest = std::max(longest, std::chrono::steady_clock::now() - start);
      if (!done) std::fprintf(stderr, "reload failed: %s\n", done.error().message.c_str());
    });
  }
  node.loop().post([&] {
    std::printf("port=%u\n", node.rpcServer().port());
    std::fflush(stdout);
  });
  node.loop().runAfter(std::chrono::seconds(max_seconds), [&] { node.drain(); });
  int code = node.run();
  std::printf("reloads=%d longest_reload_us=%lld\n", reloads,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(longest).count()));
  if (host) std::filesystem::remove_all(folder);
  return code;
}
