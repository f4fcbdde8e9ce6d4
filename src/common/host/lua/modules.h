// Modules: the script folder's *.lua files, each a module with its own
// environment (its globals are its state), compiled and run as a unit.
//
// A reload reads the folder; every new or changed file is compiled first and
// then run, each in a staging table whose reads fall through to the module's
// live environment (so `entries = entries or {}` finds the old entries) and
// which catches its writes. Only when every changed module compiled and ran,
// and the host accepted what they declare, are the staged writes copied into
// the live environments and the new functions pointed at them (their _ENV
// upvalue, shared by every function of the chunk). Otherwise nothing
// changes. Functions already running (a call suspended in rpc.call) finish
// the code they started with.
// Threads: the loop thread.
#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "host/lua/lua_vm.h"
#include "polis/control.pb.h"

namespace polis::lua {

// The parts of a module's registration table, by integer key (read with
// raw gets, which never allocate).
inline constexpr int kRegServices = 1;
inline constexpr int kRegCommands = 2;
inline constexpr int kRegDrains = 3;

// What one load of a module declared at its top level. The Lua values are
// in its registration table (`reg_ref`): reg[kRegServices][i] is the table
// implementing services[i-1], reg[kRegCommands][i] the function of
// commands[i-1], reg[kRegDrains][i] a drain hook.
struct ModuleRecord {
  std::string name;    // "guestbook" for guestbook.lua
  std::string source;  // the text it was loaded from
  uint64_t load_id = 0;
  int env_ref = 0;     // live environment (kept across reloads)
  int stage_ref = 0;   // staging table (while staged)
  int chunk_ref = 0;   // the compiled chunk (while staged)
  int reg_ref = 0;
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  std::vector<CommandSpec> commands;
  int drains = 0;
};

class Modules {
 public:
  // `drop_load` runs for each load that ends: a staged one discarded, a
  // live one replaced or removed by commit() (its timers go with it).
  Modules(LuaVm& vm, std::string folder, std::function<void(uint64_t load_id)> drop_load);
  ~Modules();

  // Compiles and runs the changed modules into staging. Nothing live changes;
  // the error names file:line of every failure.
  Result<void> stage();
  // What is staged replaces what was live (or is discarded).
  void commit();
  void discard();
  // The modules as they would be after commit(): live ones overlaid with staged ones.
  std::vector<const ModuleRecord*> next() const;
  bool changed() const { return !staged_.empty() || !removed_.empty(); }
  std::string summary() const;  // "loaded guestbook; removed old"

  // The module whose top level is running now (registrations go to it), or null.
  ModuleRecord* loading() { return loading_; }
  const std::string& folder() const { return folder_; }

 private:
  Result<std::map<std::string, std::string>> readFolder() const;
  Result<void> compile(ModuleRecord& record);
  Result<void> run(ModuleRecord& record);
  void release(ModuleRecord& record, bool keep_env);

  LuaVm& vm_;
  std::string folder_;
  std::function<void(uint64_t)> drop_load_;
  uint64_t next_load_id_ = 1;
  std::map<std::string, std::unique_ptr<ModuleRecord>> live_;
  std::map<std::string, std::unique_ptr<ModuleRecord>> staged_;
  std::vector<std::string> removed_;
  ModuleRecord* loading_ = nullptr;
};

}  // namespace polis::lua
