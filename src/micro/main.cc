// polis-micro: a bare node that hosts whatever game code its config lists
// (chat, mail, recharge …): the Lua scripts of lua.scripts (docs/lua.md).
// The plugin host arrives with the extensibility issue.
#include "host/lua/lua_host.h"
#include "node/node_main.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "micro";
  spec.summary = "hosts the Lua scripts its config lists (lua.scripts)";
  polis::lua::attachLua(spec);
  return polis::runNode(spec, argc, argv);
}
