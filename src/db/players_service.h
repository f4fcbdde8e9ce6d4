// PlayersService: the Players API of proto/polis/db.proto over PlayerStore.
// Threads: loop-thread only.
#pragma once

#include "db/player_store.h"
#include "polis/db.polis.h"

namespace polis::db {

class PlayersService final : public gen::Players::Service {
 public:
  explicit PlayersService(PlayerStore& store) : store_(store) {}

  Task<Result<Player>> Create(Call& call, const CreatePlayerReq& req) override;
  Task<Result<Player>> Load(Call& call, const LoadPlayerReq& req) override;
  Task<Result<SavePlayerAck>> Save(Call& call, const SavePlayerReq& req) override;

 private:
  PlayerStore& store_;
};

}  // namespace polis::db
