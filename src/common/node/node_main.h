// runNode(): the whole main() of a role binary. Parses the command line
// (--config FILE, --help, --version), reads and validates the config (every
// problem reported at once, naming the key), sets up logging, builds the
// Node, lets the role add its services, and runs it.
#pragma once

#include <functional>
#include <string>

#include "base/config.h"
#include "base/result.h"
#include "node/node.h"

namespace polis {

struct RoleSpec {
  std::string role;         // "lobby"
  std::string summary;      // one line for --help
  bool needs_centers = true;
  // Reads the role's own config keys (before validation), then, once the node
  // exists, sets it up. Both may be empty. Objects setup creates belong to the
  // node (Node::adopt), never to main(): they must die before the node's loop.
  std::function<void(ConfigReader&)> read_config;
  std::function<Result<void>(Node&)> setup;
};

int runNode(const RoleSpec& spec, int argc, char** argv);

}  // namespace polis
