// polis-micro: a node whose only job is hosting the game code its config
// lists — the "micro servers" of a game (chat, mail, recharge …): native
// plugins (plugins.*, docs/plugins.md) and, with the Lua host, scripts.
#include "host/game_code.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "micro";
  spec.summary = "hosts the plugins and Lua scripts its config lists (plugins.*, lua.scripts)";
  return polis::runNode(polis::host::withGameCode(spec), argc, argv);
}
