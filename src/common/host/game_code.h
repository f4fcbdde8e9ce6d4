// What makes a node a host of game code: every role's main() passes its
// RoleSpec through withGameCode(), and the node then also reads the plugins.*
// settings and hosts the native plugins they list (docs/plugins.md), and the
// lua.* settings and the scripts of lua.scripts (docs/lua.md).
#pragma once

#include "node/node_main.h"

namespace polis::host {

RoleSpec withGameCode(RoleSpec spec);

}  // namespace polis::host
