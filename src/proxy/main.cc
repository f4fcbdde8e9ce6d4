// polis-proxy: client connections (TCP, UDP, KCP, WebSocket): sessions, routing to lobby and world.
// So far a bare node (registers, heartbeats, serves its ops port, drains on
// SIGTERM); its own features arrive with later issues.
#include "host/game_code.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "proxy";
  spec.summary = "client connections (TCP, UDP, KCP, WebSocket): sessions, routing to lobby and world (so far: a bare node; its features are not built yet)";
  return polis::runNode(polis::host::withGameCode(spec), argc, argv);
}
