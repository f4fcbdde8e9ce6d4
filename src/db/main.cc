// polis-db: the data service: Redis cache in front of MySQL, with a stated write-behind contract.
// So far a bare node (registers, heartbeats, serves its ops port, drains on
// SIGTERM); its own features arrive with later issues.
#include "node/node_main.h"

int main(int argc, char** argv) {
  polis::RoleSpec spec;
  spec.role = "db";
  spec.summary = "the data service: Redis cache in front of MySQL, with a stated write-behind contract (so far: a bare node; its features are not built yet)";
  return polis::runNode(spec, argc, argv);
}
