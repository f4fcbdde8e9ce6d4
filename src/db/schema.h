// The database schema, versioned. Start-up brings an empty database to the
// newest version and an older one up to it, one migration at a time, and
// refuses a database newer than this binary knows. Each applied version is a
// row in polis_schema. Two db nodes starting at once take turns (a MariaDB
// named lock). DDL commits on its own in MariaDB, so every statement of a
// migration is written to be safe to run again: a migration cut short by a
// crash is simply redone on the next start.
// Blocking: start-up only, before the event loop runs.
#pragma once

#include <string>
#include <vector>

#include <cppconn/connection.h>

#include "base/result.h"

namespace polis::db {

struct Migration {
  int version;
  std::string description;
  std::vector<std::string> statements;
};

// Every migration this binary knows, in version order (1, 2, ...).
const std::vector<Migration>& migrations();
int latestSchemaVersion();

struct MigrationReport {
  int from = 0;  // the version found
  int to = 0;    // the version left
};

// Runs the pending migrations on `conn`. kInvalidArgument when the database
// is newer than this binary (the message says which versions).
Result<MigrationReport> migrate(sql::Connection& conn);

}  // namespace polis::db
