// polis-db: the data service. So far: MariaDB reached at start and its schema
// migrated (an empty database created, an older one upgraded, a newer one
// refused), the pool of MariaDB workers, and the Accounts API on it. Players,
// documents, leaderboards and the Redis write-behind come with the rest of
// the data issue.
#include "db/accounts_service.h"
#include "db/db_config.h"
#include "db/mysql_pool.h"
#include "db/players_service.h"
#include "db/startup.h"
#include "node/node_main.h"

int main(int argc, char** argv) {
  using namespace polis;
  db::DbConfig config;
  RoleSpec spec;
  spec.role = "db";
  spec.summary = "the data service (so far: MariaDB schema migration at start and the Accounts API; "
                 "players, documents, leaderboards and the Redis cache are not built yet)";
  spec.read_config = [&](ConfigReader& r) { config = db::readDbConfig(r); };
  spec.setup = [&](Node& node) -> Result<void> {
    auto schema = db::prepareDatabase(config.mysql);
    if (!schema) return schema.error();
    auto& pool = node.adopt(std::make_unique<db::MysqlPool>(node.loop(), config.mysql));
    node.addService(node.adopt(std::make_unique<db::AccountsService>(pool)));
    auto& players = node.adopt(std::make_unique<db::PlayerStore>(node.loop(), pool, config));
    node.addService(node.adopt(std::make_unique<db::PlayersService>(players)));
    node.onDrain([&players](std::function<void()> done) { players.writeBehind().drain(std::move(done)); });
    players.start();
    return {};
  };
  return runNode(spec, argc, argv);
}
