#include "db/players_service.h"

namespace polis::db {

// The store's coroutines take their requests by value (copied into their
// frames), so nothing here outlives the request message.
Task<Result<Player>> PlayersService::Create(Call&, const CreatePlayerReq& req) {
  auto created = co_await store_.create(req);
  co_return created;
}

Task<Result<Player>> PlayersService::Load(Call&, const LoadPlayerReq& req) {
  auto loaded = co_await store_.load(req.player_id());
  co_return loaded;
}

Task<Result<SavePlayerAck>> PlayersService::Save(Call&, const SavePlayerReq& req) {
  auto saved = co_await store_.save(req);
  if (!saved) co_return saved.error();
  SavePlayerAck ack;
  ack.set_version(*saved);
  co_return ack;
}

}  // namespace polis::db
