// NodeControlService: serves proto/polis/control.proto's NodeControl on every
// node: the list of operator commands and running one. The node's own
// commands — "drain", and "reload" when something can reload — are
// registered here; plugins and Lua add theirs to the same Commands.
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "node/commands.h"
#include "polis/control.polis.h"

namespace polis {

class NodeControlService final : public gen::NodeControl::Service {
 public:
  // `drain` starts the node's drain (as SIGTERM does).
  explicit NodeControlService(std::function<void()> drain);

  Commands& commands() { return commands_; }
  // A part that can reload (the plugin host, the Lua host) under a name;
  // "reload" runs every one, or the one its `what` argument names.
  void onReload(std::string what, std::function<Task<Result<std::string>>()> reload);

  Task<Result<CommandList>> ListCommands(Call& call, const Empty& req) override;
  Task<Result<RunCommandAck>> RunCommand(Call& call, const RunCommandReq& req) override;

 private:
  Task<Result<std::string>> reload(CommandArgs args);

  Commands commands_;
  std::vector<std::pair<std::string, std::function<Task<Result<std::string>>()>>> reloaders_;
};

}  // namespace polis
