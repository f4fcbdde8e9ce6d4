// Small helpers shared by the code that talks to MariaDB and stamps rows.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

namespace polis::db {

// Every statement is a prepared one: no text from a caller is ever SQL.
inline std::unique_ptr<sql::PreparedStatement> prepare(sql::Connection& conn, const std::string& statement) {
  return std::unique_ptr<sql::PreparedStatement>(conn.prepareStatement(statement));
}

// Wall-clock Unix milliseconds, the time columns' unit.
inline int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs `work` as one transaction on a pooled connection, which is autocommit
// between jobs: whatever `work` does not commit is rolled back.
template <class F>
auto inTransaction(sql::Connection& conn, F&& work) {
  conn.setAutoCommit(false);
  struct Restore {
    sql::Connection& c;
    ~Restore() {
      try {
        c.rollback();
        c.setAutoCommit(true);
      } catch (const sql::SQLException&) {
      }
    }
  } restore{conn};
  return work();
}

}  // namespace polis::db
