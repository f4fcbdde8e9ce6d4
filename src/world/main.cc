// polis-world: scenes of synced objects: authoritative tick, interest management, delta sync.
// So far a bare node (registers, heartbeats, serves its ops port, drains on
// SIGTERM); its own features arrive with later issues.
#include "host/game_code.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "world";
  spec.summary = "scenes of synced objects: authoritative tick, interest management, delta sync (so far: a bare node; its features are not built yet)";
  return polis::runNode(polis::host::withGameCode(spec), argc, argv);
}
