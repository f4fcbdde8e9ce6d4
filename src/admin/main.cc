// polis-admin: the operator's backend: cluster view, players, broadcast, reload, drain, audit log.
// So far a bare node (registers, heartbeats, serves its ops port, drains on
// SIGTERM); its own features arrive with later issues.
#include "host/game_code.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "admin";
  spec.summary = "the operator's backend: cluster view, players, broadcast, reload, drain, audit log (so far: a bare node; its features are not built yet)";
  return polis::runNode(polis::host::withGameCode(spec), argc, argv);
}
