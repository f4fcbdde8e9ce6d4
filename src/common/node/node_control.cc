#include "node/node_control.h"

namespace polis {
namespace {

CommandArg arg(std::string name, CommandArg::Type type, bool required, std::string help) {
  CommandArg a;
  a.set_name(std::move(name));
  a.set_type(type);
  a.set_required(required);
  a.set_help(std::move(help));
  return a;
}

CommandSpec spec(std::string name, std::string help, std::vector<CommandArg> args = {}) {
  CommandSpec s;
  s.set_name(std::move(name));
  s.set_help(std::move(help));
  for (auto& a : args) *s.add_args() = std::move(a);
  return s;
}

}  // namespace

NodeControlService::NodeControlService(std::function<void()> drain) {
  auto added = commands_.add("node", spec("drain", "leave load balancing, finish the work in hand and exit"),
                             [drain](CommandArgs) -> Task<Result<std::string>> {
                               drain();
                               co_return std::string("draining");
                             });
  if (!added) abort();  // the first command of an empty registry: cannot clash
}

void NodeControlService::onReload(std::string what, std::function<Task<Result<std::string>>()> hook) {
  if (reloaders_.empty()) {
    auto added = commands_.add(
        "node",
        spec("reload", "reload game code: every plugin and script, or only what `what` names",
             {arg("what", CommandArg::TYPE_STRING, false, "plugins or lua (default: all)")}),
        [this](CommandArgs args) { return reload(std::move(args)); });
    if (!added) abort();  // "reload" is the node's own name
  }
  reloaders_.emplace_back(std::move(what), std::move(hook));
}

Task<Result<std::string>> NodeControlService::reload(CommandArgs args) {
  std::string what = args.text("what");
  std::string output;
  bool any = false;
  for (const auto& [name, reloader] : reloaders_) {
    if (!what.empty() && what != name) continue;
    any = true;
    auto reloading = reloader();
    auto done = co_await std::move(reloading);
    if (!done) co_return Error{done.error().code, name + ": " + done.error().message};
    output += name + ": " + *done + "\n";
  }
  if (!any) co_return Error{Errc::kNotFound, "nothing here reloads \"" + what + "\""};
  co_return output;
}

Task<Result<CommandList>> NodeControlService::ListCommands(Call&, const Empty&) {
  CommandList out;
  for (auto& c : commands_.list()) *out.add_commands() = std::move(c);
  co_return out;
}

Task<Result<RunCommandAck>> NodeControlService::RunCommand(Call&, const RunCommandReq& req) {
  std::map<std::string, std::string> args(req.args().begin(), req.args().end());
  auto running = commands_.run(req.name(), std::move(args));
  auto output = co_await std::move(running);
  if (!output) co_return output.error();
  RunCommandAck ack;
  ack.set_output(std::move(*output));
  co_return ack;
}

}  // namespace polis
