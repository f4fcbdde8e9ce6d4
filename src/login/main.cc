// polis-login: accounts and session tokens; picks a proxy for each client.
// So far a bare node (registers, heartbeats, serves its ops port, drains on
// SIGTERM); its own features arrive with later issues.
#include "host/game_code.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "login";
  spec.summary = "accounts and session tokens; picks a proxy for each client (so far: a bare node; its features are not built yet)";
  return polis::runNode(polis::host::withGameCode(spec), argc, argv);
}
