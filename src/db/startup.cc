#include "db/startup.h"

#include <thread>

#include "base/log.h"
#include "db/mysql_session.h"

namespace polis::db {

Result<MigrationReport> prepareDatabase(const MysqlConfig& config) {
  initMysqlDriver();
  MysqlThreadScope thread_scope;
  auto deadline = std::chrono::steady_clock::now() + config.startup_timeout;
  auto wait = std::chrono::milliseconds(100);
  while (true) {
    auto conn = connectMysql(config);
    if (conn) {
      auto report = migrate(**conn);
      if (report) {
        log::info("database {} at schema version {}{}", config.database, report->to,
                  report->from == report->to ? "" : " (was " + std::to_string(report->from) + ")");
      }
      return report;
    }
    if (std::chrono::steady_clock::now() + wait > deadline) return conn.error();
    log::info("{}; retrying in {} ms", conn.error().message, wait.count());
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, config.reconnect_max);
  }
}

}  // namespace polis::db
