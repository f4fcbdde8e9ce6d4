// polis-gateway: the public HTTP(S) front door: server list, version gate, account calls forwarded to login.
// So far a bare node (registers, heartbeats, serves its ops port, drains on
// SIGTERM); its own features arrive with later issues.
#include "host/game_code.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "gateway";
  spec.summary = "the public HTTP(S) front door: server list, version gate, account calls forwarded to login (so far: a bare node; its features are not built yet)";
  return polis::runNode(polis::host::withGameCode(spec), argc, argv);
}
