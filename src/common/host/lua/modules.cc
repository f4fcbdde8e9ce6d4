#include "host/lua/modules.h"

#include <lua.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "host/lua/sandbox.h"

namespace polis::lua {
namespace {

namespace fs = std::filesystem;

struct StageJob {
  ModuleRecord* record;
  std::string chunkname;
  std::string error;  // a syntax error, for the caller (assigned outside the protected call)
  int status = LUA_OK;
};

// Compiles the module and makes its staging table, registration table and,
// for a new module, its environment. Protected: references nothing with a
// destructor that a memory error could skip (the job lives in the caller).
int stageModule(lua_State* L) {
  auto* job = static_cast<StageJob*>(lua_touserdata(L, 1));
  ModuleRecord& r = *job->record;
  job->status = luaL_loadbufferx(L, r.source.data(), r.source.size(), job->chunkname.c_str(), "t");
  if (job->status != LUA_OK) return 1;  // the message, for the caller
  if (r.env_ref == 0) {
    pushEnvironment(L);
    r.env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_newtable(L);  // staging: reads fall through to the live environment
  lua_createtable(L, 0, 2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, r.env_ref);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "a module environment's metatable is protected");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setupvalue(L, -3, 1);  // the chunk's _ENV
  r.stage_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  r.chunk_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, 3, 0);
  for (int part : {kRegServices, kRegCommands, kRegDrains}) {
    lua_newtable(L);
    lua_rawseti(L, -2, part);
  }
  r.reg_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushnil(L);
  return 1;
}

// Copies the staged writes into the live environment.
int mergeStage(lua_State* L) {
  auto* r = static_cast<ModuleRecord*>(lua_touserdata(L, 1));
  lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, r->stage_ref);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -5);
  }
  return 0;
}

}  // namespace

Modules::Modules(LuaVm& vm, std::string folder, std::function<void(uint64_t)> drop_load)
    : vm_(vm), folder_(std::move(folder)), drop_load_(std::move(drop_load)) {}

Modules::~Modules() = default;  // the registry refs go with the VM

Result<std::map<std::string, std::string>> Modules::readFolder() const {
  std::error_code ec;
  if (!fs::is_directory(folder_, ec)) {
    return Error{Errc::kNotFound, "the scripts folder " + folder_ + " does not exist (lua.scripts)"};
  }
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(folder_, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".lua") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return Error{Errc::kInvalidArgument, "cannot read " + entry.path().string()};
    files[entry.path().stem().string()] = text.str();
  }
  if (ec) return Error{Errc::kInvalidArgument, "cannot list " + folder_ + ": " + ec.message()};
  return files;
}

Result<void> Modules::stage() {
  discard();
  auto files = readFolder();
  if (!files) return files.error();
  for (const auto& [name, record] : live_) {
    if (!files->count(name)) removed_.push_back(name);
  }
  for (auto& [name, text] : *files) {
    auto live = live_.find(name);
    if (live != live_.end() && live->second->source == text) continue;
    auto record = std::make_unique<ModuleRecord>();
    record->name = name;
    record->source = std::move(text);
    record->load_id = next_load_id_++;
    if (live != live_.end()) record->env_ref = live->second->env_ref;
    staged_[name] = std::move(record);
  }
  std::string errors;
  for (auto& [name, record] : staged_) {
    if (auto ok = compile(*record); !ok) errors += (errors.empty() ? "" : "\n") + ok.error().message;
  }
  for (auto& [name, record] : staged_) {
    if (!errors.empty()) break;  // nothing runs unless everything compiled
    if (auto ok = run(*record); !ok) errors += (errors.empty() ? "" : "\n") + ok.error().message;
  }
  if (errors.empty()) return {};
  discard();  // and the timers the runs started
  return Error{Errc::kInvalidArgument, errors};
}

Result<void> Modules::compile(ModuleRecord& record) {
  lua_State* L = vm_.state();
  StageJob job{&record, "@" + record.name + ".lua", {}, LUA_OK};
  int status = LuaVm::protect(L, stageModule, &job, 1);
  if (status == LUA_OK && job.status == LUA_OK) {
    lua_pop(L, 1);
    return {};
  }
  std::string message = errorText(L, status != LUA_OK ? status : job.status);
  lua_pop(L, 1);
  return Error{Errc::kInvalidArgument, message};
}

Result<void> Modules::run(ModuleRecord& record) {
  lua_State* L = vm_.state();
  Budget budget = vm_.freshBudget();
  lua_rawgeti(L, LUA_REGISTRYINDEX, record.chunk_ref);
  loading_ = &record;
  Budget* previous = vm_.enter(&budget);
  vm_.armHook(L);
  int status = lua_pcall(L, 0, 0, 0);
  vm_.leave(previous);
  loading_ = nullptr;
  if (status == LUA_OK) return {};
  std::string message = errorText(L, status);
  lua_pop(L, 1);
  if (message.rfind(record.name + ".lua", 0) != 0) message = record.name + ".lua: " + message;
  return Error{Errc::kInvalidArgument, message};
}

void Modules::commit() {
  lua_State* L = vm_.state();
  for (auto& [name, record] : staged_) {
    if (LuaVm::protect(L, mergeStage, record.get(), 0) != LUA_OK) lua_pop(L, 1);  // out of memory: partly merged
    lua_rawgeti(L, LUA_REGISTRYINDEX, record->chunk_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, record->env_ref);
    lua_setupvalue(L, -2, 1);  // every function of the chunk now reads and writes the live environment
    lua_pop(L, 1);
    luaL_unref(L, LUA_REGISTRYINDEX, record->chunk_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, record->stage_ref);
    record->chunk_ref = record->stage_ref = 0;
    auto live = live_.find(name);
    if (live != live_.end()) {
      drop_load_(live->second->load_id);
      release(*live->second, true);
    }
    live_[name] = std::move(record);
  }
  for (const auto& name : removed_) {
    drop_load_(live_[name]->load_id);
    release(*live_[name], false);
    live_.erase(name);
  }
  staged_.clear();
}

void Modules::discard() {
  for (auto& [name, record] : staged_) {
    auto live = live_.find(name);
    bool env_is_live = live != live_.end() && live->second->env_ref == record->env_ref;
    drop_load_(record->load_id);
    release(*record, env_is_live);
  }
  staged_.clear();
  removed_.clear();
}

void Modules::release(ModuleRecord& record, bool keep_env) {
  lua_State* L = vm_.state();
  for (int* ref : {&record.chunk_ref, &record.stage_ref, &record.reg_ref}) {
    if (*ref) luaL_unref(L, LUA_REGISTRYINDEX, *ref);
    *ref = 0;
  }
  if (!keep_env && record.env_ref) luaL_unref(L, LUA_REGISTRYINDEX, record.env_ref);
  record.env_ref = 0;
}

std::vector<const ModuleRecord*> Modules::next() const {
  std::vector<const ModuleRecord*> out;
  for (const auto& [name, record] : live_) {
    if (staged_.count(name) || std::count(removed_.begin(), removed_.end(), name)) continue;
    out.push_back(record.get());
  }
  for (const auto& [name, record] : staged_) out.push_back(record.get());
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

std::string Modules::summary() const {
  std::string loaded, removed;
  for (const auto& [name, record] : staged_) loaded += (loaded.empty() ? "" : ", ") + name;
  for (const auto& name : removed_) removed += (removed.empty() ? "" : ", ") + name;
  if (loaded.empty() && removed.empty()) return "no module changed";
  std::string out;
  if (!loaded.empty()) out = "loaded " + loaded;
  if (!removed.empty()) out += (out.empty() ? "removed " : "; removed ") + removed;
  return out;
}

}  // namespace polis::lua
