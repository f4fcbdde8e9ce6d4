// The sandbox scripts run in (modelled on Redis's scripting sandbox: a
// cleaned global table and the host's API as the only way out).
//
// Only base, string, table, math, utf8 and coroutine are opened: no io, os,
// debug or package exists in the state. Each module gets its own environment
// whose reads fall back to its own copy of the safe globals (so a module that
// changes `string.upper` changes it for itself only); the real _G, the
// string metatable (its __metatable is set) and string.dump (removed) are out
// of reach. load() compiles text only (mode "t"), into a fresh sandbox
// environment unless given one. setmetatable refuses __gc. A script cannot
// resume or close the host's own coroutines.
#pragma once

struct lua_State;

namespace polis::lua {

// Opens the safe libraries and builds the template of safe globals, to which
// the host adds its API tables (setSafeGlobal). Raises: call under protect.
void openSandbox(lua_State* L);
// Pops the value at the top of the stack into the template as `name`.
void setSafeGlobal(lua_State* L, const char* name);
// Pushes a new module environment. Raises (memory): call under protection.
void pushEnvironment(lua_State* L);

}  // namespace polis::lua
