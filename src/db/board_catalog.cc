#include "db/board_catalog.h"

namespace polis::db {

Task<Result<StoredBoard>> BoardCatalog::get(std::string board) {
  if (auto it = boards_.find(board); it != boards_.end()) co_return it->second;
  auto loaded = co_await refresh(std::move(board));
  co_return loaded;
}

Task<Result<StoredBoard>> BoardCatalog::refresh(std::string board) {
  std::function<Result<StoredBoard>(sql::Connection&)> job = [board](sql::Connection& conn) {
    return selectBoard(conn, board);
  };
  auto pending = pool_.run<StoredBoard>(std::move(job));
  auto loaded = co_await pending;
  if (!loaded) co_return loaded;
  co_return note(*loaded);
}

const StoredBoard& BoardCatalog::note(const StoredBoard& board) {
  auto [it, added] = boards_.try_emplace(board.def.board(), board);
  if (!added && board.generation >= it->second.generation) it->second = board;
  return it->second;
}

}  // namespace polis::db
