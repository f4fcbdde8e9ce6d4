// Opening a MariaDB connection through libmysqlcppconn, and turning its
// exceptions into typed errors. Blocking: worker threads and start-up only,
// never the event loop.
#pragma once

#include <memory>

#include <cppconn/connection.h>
#include <cppconn/exception.h>

#include "base/result.h"
#include "db/db_config.h"

namespace polis::db {

// The driver is made once, before any worker starts (its first use is not thread-safe).
void initMysqlDriver();

// The client library's per-thread state, for the life of a thread that uses it.
struct MysqlThreadScope {
  MysqlThreadScope();
  ~MysqlThreadScope();
  MysqlThreadScope(const MysqlThreadScope&) = delete;
  MysqlThreadScope& operator=(const MysqlThreadScope&) = delete;
};

// A read-only session (a replica's) refuses every write inside MariaDB
// (error 1792), whatever the user's privileges.
Result<std::unique_ptr<sql::Connection>> connectMysql(const MysqlConfig& config, bool read_only = false);

// kUnavailable for a lost or refused connection (the caller reconnects),
// kAlreadyExists for a duplicate key, kInternal otherwise; the message keeps
// MariaDB's code and text.
Error mysqlError(const sql::SQLException& e);
// True when the error means the connection is unusable.
bool connectionLost(const sql::SQLException& e);

}  // namespace polis::db
