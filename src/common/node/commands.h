// Commands: the named operator commands a node offers (its own — reload,
// drain — and those plugins and Lua scripts register), each with a typed
// argument list, run by an operator through polis-ctl (fanned out by a
// center; see NodeControl in proto/polis/control.proto).
//
// Arguments arrive as text ("name=value"); each is checked against its
// declared type before the handler runs, and a missing required one, an
// unknown one or a malformed value is refused with a message naming it.
// Commands belong to an owner ("node", a plugin instance, a Lua VM), so an
// owner that unloads takes its commands with it.
// Threads: loop-thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "base/task.h"
#include "polis/control.pb.h"

namespace polis {

using CommandValue = std::variant<std::string, int64_t, double, bool>;

// The checked arguments a handler receives: every declared one that was
// given, with its declared type.
class CommandArgs {
 public:
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string text(const std::string& name, std::string def = {}) const;
  int64_t integer(const std::string& name, int64_t def = 0) const;
  double number(const std::string& name, double def = 0) const;
  bool flag(const std::string& name, bool def = false) const;

  std::map<std::string, CommandValue> values_;
};

// A handler answers with text for the operator, or an error.
using CommandHandler = std::function<Task<Result<std::string>>(CommandArgs)>;

class Commands {
 public:
  // already_exists when the name is taken (by any owner); invalid_argument
  // for a bad name (1–64 of a-z 0-9 . _ -) or argument list.
  Result<void> add(const std::string& owner, CommandSpec spec, CommandHandler handler);
  void removeOwner(const std::string& owner);

  std::vector<CommandSpec> list() const;
  // Checks the arguments against the command's declaration, then runs it.
  Task<Result<std::string>> run(std::string name, std::map<std::string, std::string> args);

 private:
  struct Entry {
    std::string owner;
    CommandSpec spec;
    CommandHandler handler;
  };
  std::map<std::string, Entry> commands_;
};

// The arguments `given` checked against `spec`; the error names the argument.
Result<CommandArgs> checkArgs(const CommandSpec& spec, const std::map<std::string, std::string>& given);

}  // namespace polis
