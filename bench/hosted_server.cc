// bench_hosted_server: one real node (polis::Node, standalone) serving
// Echo.Echo from the binary, from a plugin, or (with the Lua host) from a
// script — the same node, dispatch and RPC path, only the handler differs:
//
//   bench_hosted_server --handler=builtin|plugin|lua [--plugin=PATH] [--script=bench/lua/echo.lua]
//                       [--reload-at-ms=2500,3500] [--port=0] [--secret=S] [--max-seconds=600]
//
// --reload-at-ms: reloads the handler (the plugin, or the script: a new
// version of the file, compiled and swapped in) at those times after the
// port is printed, to measure a reload under load. Prints "port=N" once
// listening; exits after --max-seconds.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "bench_args.h"
#include "base/log.h"
#include "host/lua/lua_host.h"
#include "host/plugin_host.h"
#include "polis/bench.polis.h"

namespace {

class EchoService final : public polis::gen::Echo::Service {
 public:
  polis::Task<polis::Result<polis::EchoMsg>> Echo(polis::Call&, const polis::EchoMsg& req) override {
    co_return req;
  }
  polis::Task<void> Push(polis::Call&, const polis::EchoMsg&) override { co_return; }
};

std::vector<long> numbers(const std::string& list) {
  std::vector<long> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(std::stol(item));
  }
  return out;
}

// The script in a folder of its own, which reloads rewrite.
struct LuaEcho {
  std::string folder;
  std::string source;
  polis::lua::LuaHost* host = nullptr;
  int version = 0;

  polis::Result<std::string> reload() {
    std::ofstream(folder + "/echo.lua") << source << "-- version " << ++version << "\n";
    return host->reload();
  }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace polis;
  bench::Args args(argc, argv,
                   "bench_hosted_server --handler=builtin|plugin|lua [--plugin=PATH] [--script=PATH] "
                   "[--reload-at-ms=LIST] [--port=0] [--secret=S] [--max-seconds=600]");
  std::string handler = args.str("handler", "builtin");
  std::string plugin = args.str("plugin", "");
  std::string script = args.str("script", "bench/lua/echo.lua");
  auto reloads = numbers(args.str("reload-at-ms", ""));
  auto port = static_cast<uint16_t>(args.num("port", 0, 0, 65535));
  long max_seconds = args.num("max-seconds", 600, 1, 3600);
  const char* env_secret = std::getenv("POLIS_CLUSTER__SECRET");
  std::string secret = args.str("secret", env_secret ? env_secret : "");
  args.rejectUnknown();
  if (secret.size() < 16) args.fail("the secret (--secret or POLIS_CLUSTER__SECRET) needs at least 16 characters");
  if (handler != "builtin" && handler != "plugin" && handler != "lua") {
    args.fail("--handler must be builtin, plugin or lua");
  }
  if (handler == "plugin" && plugin.empty()) args.fail("--handler=plugin needs --plugin=PATH");
  log::init("bench-hosted", "warn", log::Format::kHuman);

  NodeConfig config;
  config.role = "micro";
  config.name = "bench-hosted";
  config.secret = secret;
  config.rpc_port = port;
  Node node(config);
  node.standalone();
  EchoService builtin;
  std::unique_ptr<host::PluginHost> plugins;
  LuaEcho lua;
  if (handler == "builtin") {
    node.addService(builtin);
  } else if (handler == "lua") {
    std::ifstream in(script);
    std::ostringstream text;
    text << in.rdbuf();
    char folder[] = "/tmp/polis-bench-lua-XXXXXX";
    if (!in || !mkdtemp(folder)) args.fail("cannot read " + script + " or make a temporary folder");
    lua.folder = folder;
    lua.source = text.str();
    std::ofstream(lua.folder + "/echo.lua") << lua.source;
    lua::LuaConfig lc;
    lc.scripts = lua.folder;
    lc.descriptor_set = POLIS_DESCRIPTOR_SET;
    auto made = lua::LuaHost::create(node, lc);
    if (!made) {
      std::fprintf(stderr, "bench_hosted_server: %s\n", made.error().describe().c_str());
      return 1;
    }
    lua.host = &node.adopt(std::move(*made));
  } else {
    host::PluginsConfig pc;
    pc.plugins.push_back(host::PluginSpec{"echo", plugin, {}});
    plugins = std::make_unique<host::PluginHost>(node, pc);
    if (auto ok = plugins->start(); !ok) {
      std::fprintf(stderr, "bench_hosted_server: %s\n", ok.error().describe().c_str());
      return 1;
    }
  }
  node.loop().post([&] {
    std::printf("port=%u\n", node.rpcServer().port());
    std::fflush(stdout);
    for (long at : reloads) {
      node.loop().runAfter(std::chrono::milliseconds(at), [&] {
        auto started = std::chrono::steady_clock::now();
        auto done = plugins    ? plugins->reload("echo")
                    : lua.host ? lua.reload()
                               : Result<std::string>(std::string("nothing to reload"));
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        std::fprintf(stderr, "reload took %.2f ms: %s\n", ms, done ? done->c_str() : done.error().message.c_str());
      });
    }
  });
  // Bounded: the server stops by itself even if nobody kills it.
  node.loop().runAfter(std::chrono::seconds(max_seconds), [&] { node.drain(); });
  int code = node.run();
  plugins.reset();
  if (lua.host) std::filesystem::remove_all(lua.folder);
  return code;
}
