// polis-db: the data service (docs/data.md). MariaDB is reached at start and
// its schema migrated; Accounts and Documents are durable in MariaDB; Players
// go through Redis with write-behind to MariaDB, flushed on drain. Document
// reads that allow a stale answer may go to MariaDB read replicas.
#include "db/accounts_service.h"
#include "db/db_config.h"
#include "db/documents_service.h"
#include "db/mysql_pool.h"
#include "db/players_service.h"
#include "db/replica_reads.h"
#include "db/startup.h"
#include "node/node_main.h"

int main(int argc, char** argv) {
  using namespace polis;
  db::DbConfig config;
  RoleSpec spec;
  spec.role = "db";
  spec.summary = "the data service: accounts, players (Redis with write-behind to MariaDB) and documents";
  spec.read_config = [&](ConfigReader& r) { config = db::readDbConfig(r); };
  spec.setup = [&](Node& node) -> Result<void> {
    auto schema = db::prepareDatabase(config.mysql);
    if (!schema) return schema.error();
    auto& pool = node.adopt(std::make_unique<db::MysqlPool>(node.loop(), config.mysql));
    node.addService(node.adopt(std::make_unique<db::AccountsService>(pool)));
    auto& reads = node.adopt(std::make_unique<db::ReplicaReads>(node.loop(), pool, config.mysql));
    node.addService(node.adopt(std::make_unique<db::DocumentsService>(pool, reads, config.max_document_bytes)));
    auto& players = node.adopt(std::make_unique<db::PlayerStore>(node.loop(), pool, config));
    node.addService(node.adopt(std::make_unique<db::PlayersService>(players)));
    node.onDrain([&players](std::function<void()> done) { players.writeBehind().drain(std::move(done)); });
    players.start();
    return {};
  };
  return runNode(spec, argc, argv);
}
