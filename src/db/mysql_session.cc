#include "db/mysql_session.h"

#include <mysql_driver.h>

#include <string>

#include "db/sql.h"

namespace polis::db {
namespace {

// CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_GONE_ERROR, CR_SERVER_LOST,
// ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED: the connection is gone.
bool isConnectionError(int code) {
  return code == 2002 || code == 2003 || code == 2006 || code == 2013 || code == 1053 || code == 1927;
}

sql::mysql::MySQL_Driver* driver() {
  static sql::mysql::MySQL_Driver* d = sql::mysql::get_mysql_driver_instance();
  return d;
}

}  // namespace

void initMysqlDriver() { (void)driver(); }

MysqlThreadScope::MysqlThreadScope() { driver()->threadInit(); }
MysqlThreadScope::~MysqlThreadScope() { driver()->threadEnd(); }

Result<std::unique_ptr<sql::Connection>> connectMysql(const MysqlConfig& c, bool read_only) {
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString("tcp://" + c.host + ":" + std::to_string(c.port));
  options["userName"] = sql::SQLString(c.user);
  options["password"] = sql::SQLString(c.password);
  options["schema"] = sql::SQLString(c.database);
  int timeout_s = std::max(1, static_cast<int>(c.connect_timeout.count() / 1000));
  options["OPT_CONNECT_TIMEOUT"] = timeout_s;
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  try {
    std::unique_ptr<sql::Connection> conn(driver()->connect(options));
    conn->setAutoCommit(true);
    if (read_only) prepare(*conn, "SET SESSION TRANSACTION READ ONLY")->execute();
    return conn;
  } catch (const sql::SQLException& e) {
    Error error = mysqlError(e);
    error.code = Errc::kUnavailable;
    error.message = "cannot connect to MariaDB at " + c.host + ":" + std::to_string(c.port) + " as " + c.user +
                    " (database " + c.database + "): " + error.message;
    return error;
  }
}

bool connectionLost(const sql::SQLException& e) { return isConnectionError(e.getErrorCode()); }

Error mysqlError(const sql::SQLException& e) {
  std::string message = std::string(e.what()) + " (MariaDB error " + std::to_string(e.getErrorCode()) + ", SQLSTATE " +
                        e.getSQLStateCStr() + ")";
  if (isConnectionError(e.getErrorCode())) return Error{Errc::kUnavailable, std::move(message)};
  if (e.getErrorCode() == 1062) return Error{Errc::kAlreadyExists, std::move(message)};  // ER_DUP_ENTRY
  return Error{Errc::kInternal, std::move(message)};
}

}  // namespace polis::db
