// What the db node does before it serves anything: reach MariaDB (retrying
// until mysql.startup_timeout, since the database may still be starting) and
// bring the schema to this binary's version. Blocking; runs before the loop.
#pragma once

#include "base/result.h"
#include "db/db_config.h"
#include "db/schema.h"

namespace polis::db {

Result<MigrationReport> prepareDatabase(const MysqlConfig& config);

}  // namespace polis::db
