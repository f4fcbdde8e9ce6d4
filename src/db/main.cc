// polis-db: the data service (docs/data.md). MariaDB is reached at start and
// its schema migrated; Accounts and Documents are durable in MariaDB; Players
// and leaderboard scores go through Redis with write-behind to MariaDB,
// flushed on drain. Document reads that allow a stale answer may go to
// MariaDB read replicas.
#include "db/accounts_service.h"
#include "db/db_config.h"
#include "db/documents_service.h"
#include "db/leaderboards_service.h"
#include "db/mysql_pool.h"
#include "db/players_service.h"
#include "db/replica_reads.h"
#include "db/startup.h"
#include "host/game_code.h"

int main(int argc, char** argv) {
  using namespace polis;
  db::DbConfig config;
  RoleSpec spec;
  spec.role = "db";
  spec.summary = "the data service: accounts, players and leaderboards (Redis with write-behind to MariaDB), "
                 "documents";
  spec.read_config = [&](ConfigReader& r) { config = db::readDbConfig(r); };
  spec.setup = [&](Node& node) -> Result<void> {
    auto schema = db::prepareDatabase(config.mysql);
    if (!schema) return schema.error();
    auto& pool = node.adopt(std::make_unique<db::MysqlPool>(node.loop(), config.mysql));
    node.addService(node.adopt(std::make_unique<db::AccountsService>(pool)));
    auto& reads = node.adopt(std::make_unique<db::ReplicaReads>(node.loop(), pool, config.mysql));
    node.addService(node.adopt(std::make_unique<db::DocumentsService>(pool, reads, config.max_document_bytes)));
    auto& shards = node.adopt(std::make_unique<db::RedisShards>(node.loop(), config.redis));
    auto& catalog = node.adopt(std::make_unique<db::BoardCatalog>(pool));
    auto& dirty_players = node.adopt(std::make_unique<db::DirtyPlayers>(pool, shards));
    auto& dirty_scores = node.adopt(std::make_unique<db::DirtyScores>(pool, shards, catalog));
    auto& write_behind = node.adopt(std::make_unique<db::WriteBehind>(
        node.loop(), shards, std::vector<db::DirtyKind*>{&dirty_players, &dirty_scores}, config.flush));
    auto& players = node.adopt(
        std::make_unique<db::PlayerStore>(node.loop(), pool, shards, write_behind, dirty_players, config));
    node.addService(node.adopt(std::make_unique<db::PlayersService>(players)));
    auto& boards = node.adopt(std::make_unique<db::LeaderboardStore>(node.loop(), pool, shards, write_behind,
                                                                     dirty_scores, catalog, config));
    node.addService(node.adopt(std::make_unique<db::LeaderboardsService>(boards)));
    node.onDrain([&write_behind](std::function<void()> done) { write_behind.drain(std::move(done)); });
    shards.start();
    write_behind.start();
    return {};
  };
  return runNode(host::withGameCode(spec), argc, argv);
}
