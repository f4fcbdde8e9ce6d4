#include "node/commands.h"

#include <charconv>
#include <cstdlib>

namespace polis {
namespace {

bool plainName(const std::string& name, size_t max, const char* allowed) {
  return !name.empty() && name.size() <= max && name.find_first_not_of(allowed) == std::string::npos;
}

constexpr const char* kCommandChars = "abcdefghijklmnopqrstuvwxyz0123456789._-";
constexpr const char* kArgChars = "abcdefghijklmnopqrstuvwxyz0123456789_";

Result<CommandValue> convert(const CommandArg& arg, const std::string& text) {
  auto bad = [&](const char* what) {
    return Error{Errc::kInvalidArgument, "argument " + arg.name() + " must be " + what + ", got \"" +
                                             text.substr(0, 64) + "\""};
  };
  switch (arg.type()) {
    case CommandArg::TYPE_INT: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return bad("an integer");
      return CommandValue(v);
    }
    case CommandArg::TYPE_NUMBER: {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) return bad("a number");
      return CommandValue(v);
    }
    case CommandArg::TYPE_BOOL:
      if (text == "true" || text == "yes" || text == "1") return CommandValue(true);
      if (text == "false" || text == "no" || text == "0") return CommandValue(false);
      return bad("true or false");
    default:
      return CommandValue(text);
  }
}

template <class T>
T valueOr(const std::map<std::string, CommandValue>& values, const std::string& name, T def) {
  auto it = values.find(name);
  if (it == values.end()) return def;
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  return def;
}

}  // namespace

std::string CommandArgs::text(const std::string& name, std::string def) const { return valueOr(values_, name, def); }
int64_t CommandArgs::integer(const std::string& name, int64_t def) const { return valueOr(values_, name, def); }
double CommandArgs::number(const std::string& name, double def) const { return valueOr(values_, name, def); }
bool CommandArgs::flag(const std::string& name, bool def) const { return valueOr(values_, name, def); }

Result<CommandArgs> checkArgs(const CommandSpec& spec, const std::map<std::string, std::string>& given) {
  CommandArgs out;
  for (const auto& [name, text] : given) {
    const CommandArg* declared = nullptr;
    for (const auto& a : spec.args()) {
      if (a.name() == name) declared = &a;
    }
    if (!declared) {
      return Error{Errc::kInvalidArgument, spec.name() + " has no argument \"" + name.substr(0, 64) + "\""};
    }
    auto value = convert(*declared, text);
    if (!value) return value.error();
    out.values_[name] = std::move(*value);
  }
  for (const auto& a : spec.args()) {
    if (a.required() && !out.has(a.name())) {
      return Error{Errc::kInvalidArgument, spec.name() + " needs the argument " + a.name()};
    }
  }
  return out;
}

Result<void> Commands::add(const std::string& owner, CommandSpec spec, CommandHandler handler) {
  if (!plainName(spec.name(), 64, kCommandChars)) {
    return Error{Errc::kInvalidArgument, "a command name is 1–64 of a-z 0-9 . _ -, got \"" +
                                             spec.name().substr(0, 64) + "\""};
  }
  for (int i = 0; i < spec.args_size(); ++i) {
    const auto& a = spec.args(i);
    if (!plainName(a.name(), 32, kArgChars)) {
      return Error{Errc::kInvalidArgument, spec.name() + ": an argument name is 1–32 of a-z 0-9 _"};
    }
    for (int j = 0; j < i; ++j) {
      if (spec.args(j).name() == a.name()) {
        return Error{Errc::kInvalidArgument, spec.name() + ": argument " + a.name() + " declared twice"};
      }
    }
  }
  if (auto it = commands_.find(spec.name()); it != commands_.end()) {
    return Error{Errc::kAlreadyExists, "command " + spec.name() + " is registered by " + it->second.owner};
  }
  spec.set_owner(owner);
  std::string name = spec.name();
  commands_.emplace(name, Entry{owner, std::move(spec), std::move(handler)});
  return {};
}

void Commands::removeOwner(const std::string& owner) {
  std::erase_if(commands_, [&](const auto& item) { return item.second.owner == owner; });
}

std::vector<CommandSpec> Commands::list() const {
  std::vector<CommandSpec> out;
  for (const auto& [name, entry] : commands_) out.push_back(entry.spec);
  return out;
}

Task<Result<std::string>> Commands::run(std::string name, std::map<std::string, std::string> args) {
  auto it = commands_.find(name);
  if (it == commands_.end()) co_return Error{Errc::kNotFound, "no command \"" + name.substr(0, 64) + "\" here"};
  auto checked = checkArgs(it->second.spec, args);
  if (!checked) co_return checked.error();
  CommandHandler handler = it->second.handler;  // the owner may unload while it runs
  auto running = handler(std::move(*checked));
  auto output = co_await std::move(running);
  co_return output;
}

}  // namespace polis
