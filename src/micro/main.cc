// polis-micro: a bare node that hosts whatever game code its config lists
// (chat, mail, recharge …). So far a bare node (registers, heartbeats,
// serves its ops port and NodeControl, drains on SIGTERM); the plugin and
// Lua hosts arrive with the extensibility issue.
#include "node/node_main.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "micro";
  spec.summary = "hosts the plugins and Lua scripts its config lists (so far: a bare node)";
  return polis::runNode(spec, argc, argv);
}
