// Errors as scripts see them: a table {code = "timeout", message = "…"}
// whose tostring is "timeout: …". rpc.call returns one as its second value;
// a handler returns one (or a plain string) to fail its call with that code,
// or raises one with error() from deep inside its code.
#pragma once

#include <optional>
#include <string_view>

#include "base/result.h"

struct lua_State;

namespace polis::lua {

// Registers the error metatable and pushes the polis.error(code, message)
// constructor. Raises: call under protection, at start.
void openErrors(lua_State* L);
// Pushes nil and an error table; returns 2. Raises (memory) only.
int pushFailure(lua_State* L, Errc code, std::string_view message);
// Pushes an error table. Raises (memory) only.
void pushError(lua_State* L, Errc code, std::string_view message);
// The error a script value stands for: a string (remote_error), or a table
// with `code` (a name errcName gives; an unknown one reads as remote_error)
// and `message`. nullopt for anything else. Never raises.
std::optional<Error> readError(lua_State* L, int index);
// Errc by name (errcName's), nullopt when unknown.
std::optional<Errc> errcByName(std::string_view name);

}  // namespace polis::lua
