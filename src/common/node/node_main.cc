#include "node/node_main.h"

#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "node/stop_signals.h"

namespace polis {
namespace {

void printHelp(const RoleSpec& spec, const char* argv0) {
  std::printf(
      "polis-%s — %s\n\n"
      "usage: %s --config FILE\n\n"
      "Every config key can be overridden by an environment variable: POLIS_ + the dotted key\n"
      "upper-cased with '.' as '__' (node.ops_port -> POLIS_NODE__OPS_PORT).\n"
      "Shared keys: node.name node.host node.rpc_port node.ops_port node.weight node.drain_timeout\n"
      "cluster.secret cluster.centers cluster.heartbeat rpc.timeout net.max_frame_bytes\n"
      "net.high_water_bytes log.level log.format. See docs/configuration.md.\n",
      spec.role.c_str(), spec.summary.c_str(), argv0);
}

}  // namespace

int runNode(const RoleSpec& spec, int argc, char** argv) {
  catchEarlyStopSignals();
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      printHelp(spec, argv[0]);
      return 0;
    }
    if (arg == "--version") {
      std::printf("polis-%s 0.1.0\n", spec.role.c_str());
      return 0;
    }
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::fprintf(stderr, "polis-%s: unknown argument \"%s\" (try --help)\n", spec.role.c_str(), arg.c_str());
      return 2;
    }
  }
  auto reader = config_path.empty() ? ConfigReader::fromString("{}", processEnv(), "<no config file>")
                                    : ConfigReader::fromFile(config_path);
  if (!reader) {
    std::fprintf(stderr, "polis-%s: %s\n", spec.role.c_str(), reader.error().message.c_str());
    return 2;
  }
  NodeConfig config = readNodeConfig(*reader, spec.role, spec.needs_centers);
  if (spec.read_config) spec.read_config(*reader);
  if (auto ok = reader->finish(); !ok) {
    std::fprintf(stderr, "polis-%s: invalid configuration:\n%s\n", spec.role.c_str(), ok.error().message.c_str());
    return 2;
  }
  log::init(config.name, config.log_level, config.log_format);
  std::string name = config.name;
  int code = 0;
  {
    Node node(std::move(config));
    if (!spec.needs_centers) node.standalone();
    if (spec.setup) {
      if (auto ok = spec.setup(node); !ok) {
        log::critical("setup failed: {}", ok.error().describe());
        return 1;
      }
    }
    code = node.run();
  }
  // After the node's teardown, so this is the last line the process logs.
  log::info("{} exited (code {})", name, code);
  return code;
}

}  // namespace polis
