#include "db/leaderboard_rows.h"

#include <functional>

#include "db/sql.h"

namespace polis::db {
namespace {

namespace layout = leaderboard_layout;

constexpr const char* kEntryKey = " WHERE board = ? AND generation = ? AND period = ? AND player_id = ?";

void bindKey(sql::PreparedStatement& st, unsigned first, const std::string& board, uint64_t generation, int64_t index,
             uint64_t player_id) {
  st.setString(first, board);
  st.setUInt64(first + 1, generation);
  st.setInt64(first + 2, index);
  st.setUInt64(first + 3, player_id);
}

StoredBoard rowToBoard(sql::ResultSet& row) {
  StoredBoard b;
  b.def.set_board(row.getString(1).asStdString());
  b.def.set_policy(static_cast<LeaderboardPolicy>(row.getUInt(2)));
  b.def.set_order(static_cast<LeaderboardOrder>(row.getUInt(3)));
  b.def.set_reset(static_cast<LeaderboardReset>(row.getUInt(4)));
  b.generation = row.getUInt64(5);
  return b;
}

ScoreRow rowToScore(sql::ResultSet& row) {  // board, generation, period, player, score, reached, version
  ScoreRow r;
  r.board = row.getString(1).asStdString();
  r.generation = row.getUInt64(2);
  r.index = row.getInt64(3);
  r.player_id = row.getUInt64(4);
  r.entry = layout::EntryRecord{row.getUInt64(7), row.getInt64(5), row.getInt64(6)};
  return r;
}

bool sameDef(const LeaderboardDef& a, const LeaderboardDef& b) {
  return a.policy() == b.policy() && a.order() == b.order() && a.reset() == b.reset();
}

std::string describeDef(const LeaderboardDef& d) {
  return LeaderboardPolicy_Name(d.policy()) + ", " + LeaderboardOrder_Name(d.order()) + ", " +
         LeaderboardReset_Name(d.reset());
}

// 1 + how many entries of the period rank before (score, reached, player).
uint64_t rankOf(sql::Connection& conn, const LeaderboardDef& def, const std::string& board, uint64_t generation,
                int64_t index, const ScoreRow& row) {
  const char* better = def.order() == LEADERBOARD_ORDER_LOW_FIRST ? "<" : ">";
  auto st = prepare(conn, std::string("SELECT COUNT(*) FROM leaderboard_entries WHERE board = ? AND generation = ?"
                                      " AND period = ? AND (score ") + better +
                              " ? OR (score = ? AND (reached_at < ? OR (reached_at = ? AND player_id < ?))))");
  st->setString(1, board);
  st->setUInt64(2, generation);
  st->setInt64(3, index);
  st->setInt64(4, row.entry.score);
  st->setInt64(5, row.entry.score);
  st->setInt64(6, row.entry.reached_at_ms);
  st->setInt64(7, row.entry.reached_at_ms);
  st->setUInt64(8, row.player_id);
  std::unique_ptr<sql::ResultSet> count(st->executeQuery());
  count->next();
  return count->getUInt64(1) + 1;
}

}  // namespace

Result<Applied> applySubmit(const LeaderboardDef& def, const std::optional<layout::EntryRecord>& old, int64_t score,
                            int64_t now_ms) {
  if (!old) return Applied{layout::EntryRecord{1, score, now_ms}, true};
  int64_t next = score;
  bool high_first = def.order() != LEADERBOARD_ORDER_LOW_FIRST;
  if (def.policy() == LEADERBOARD_POLICY_BEST && !(high_first ? score > old->score : score < old->score)) {
    next = old->score;
  } else if (def.policy() == LEADERBOARD_POLICY_SUM) {
    next = old->score + score;  // both within ±2^53: no int64 overflow
    if (next > layout::kMaxScore || next < -layout::kMaxScore) {
      return Error{Errc::kInvalidArgument, "the sum would be " + std::to_string(next) + ", beyond ±(2^53 - 1)"};
    }
  }
  if (next == old->score) return Applied{*old, false};
  return Applied{layout::EntryRecord{old->version + 1, next, now_ms}, true};
}

Result<StoredBoard> selectBoard(sql::Connection& conn, const std::string& board) {
  auto st = prepare(conn, "SELECT board, policy, sort_order, reset_schedule, generation FROM leaderboards WHERE board = ?");
  st->setString(1, board);
  std::unique_ptr<sql::ResultSet> row(st->executeQuery());
  if (!row->next()) return Error{Errc::kNotFound, "no leaderboard \"" + board + "\""};
  return rowToBoard(*row);
}

Result<StoredBoard> defineBoard(sql::Connection& conn, const LeaderboardDef& def, int64_t now_ms) {
  auto st = prepare(conn, "INSERT IGNORE INTO leaderboards (board, policy, sort_order, reset_schedule, generation,"
                          " created_at, reset_at) VALUES (?, ?, ?, ?, 1, ?, ?)");
  st->setString(1, def.board());
  st->setUInt(2, static_cast<uint32_t>(def.policy()));
  st->setUInt(3, static_cast<uint32_t>(def.order()));
  st->setUInt(4, static_cast<uint32_t>(def.reset()));
  st->setInt64(5, now_ms);
  st->setInt64(6, now_ms);
  st->executeUpdate();
  auto stored = selectBoard(conn, def.board());
  if (!stored) return stored;
  if (!sameDef(stored->def, def)) {
    return Error{Errc::kAlreadyExists, "leaderboard \"" + def.board() + "\" exists as " + describeDef(stored->def) +
                                           ", not " + describeDef(def)};
  }
  return stored;
}

Result<StoredBoard> resetBoard(sql::Connection& conn, const std::string& board, int64_t now_ms) {
  auto st = prepare(conn, "UPDATE leaderboards SET generation = generation + 1, reset_at = ? WHERE board = ?");
  st->setInt64(1, now_ms);
  st->setString(2, board);
  if (st->executeUpdate() == 0) return Error{Errc::kNotFound, "no leaderboard \"" + board + "\""};
  return selectBoard(conn, board);
}

Result<std::vector<StoredBoard>> boardsAfter(sql::Connection& conn, const std::string& after, size_t limit) {
  auto st = prepare(conn, "SELECT board, policy, sort_order, reset_schedule, generation FROM leaderboards"
                          " WHERE board > ? ORDER BY board LIMIT ?");
  st->setString(1, after);
  st->setUInt64(2, limit);
  std::unique_ptr<sql::ResultSet> rows(st->executeQuery());
  std::vector<StoredBoard> out;
  while (rows->next()) out.push_back(rowToBoard(*rows));
  return out;
}

Result<std::vector<ScoreRow>> periodRows(sql::Connection& conn, const std::string& board, uint64_t generation,
                                         int64_t index, uint64_t after_player, size_t limit) {
  auto st = prepare(conn, "SELECT board, generation, period, player_id, score, reached_at, version"
                          " FROM leaderboard_entries WHERE board = ? AND generation = ? AND period = ?"
                          " AND player_id > ? ORDER BY player_id LIMIT ?");
  bindKey(*st, 1, board, generation, index, after_player);
  st->setUInt64(5, limit);
  std::unique_ptr<sql::ResultSet> rows(st->executeQuery());
  std::vector<ScoreRow> out;
  while (rows->next()) out.push_back(rowToScore(*rows));
  return out;
}

// In ON DUPLICATE KEY UPDATE the assignments run left to right and see the
// columns already assigned, so `version` is the last one.
Result<int64_t> upsertScores(sql::Connection& conn, const std::vector<ScoreRow>& rows) {
  if (rows.empty()) return int64_t{0};
  std::string statement = "INSERT INTO leaderboard_entries (board, generation, period, player_id, score, reached_at,"
                          " version) VALUES ";
  for (size_t i = 0; i < rows.size(); ++i) statement += i ? ", (?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?)";
  statement +=
      " ON DUPLICATE KEY UPDATE"
      " score = IF(VALUES(version) > version, VALUES(score), score),"
      " reached_at = IF(VALUES(version) > version, VALUES(reached_at), reached_at),"
      " version = GREATEST(version, VALUES(version))";
  auto st = prepare(conn, statement);
  for (size_t i = 0; i < rows.size(); ++i) {
    const ScoreRow& r = rows[i];
    auto first = static_cast<unsigned>(1 + 7 * i);
    bindKey(*st, first, r.board, r.generation, r.index, r.player_id);
    st->setInt64(first + 4, r.entry.score);
    st->setInt64(first + 5, r.entry.reached_at_ms);
    st->setUInt64(first + 6, r.entry.version);
  }
  return static_cast<int64_t>(st->executeUpdate());
}

Result<std::optional<ScoreRow>> selectScore(sql::Connection& conn, const layout::DirtyEntry& key) {
  auto st = prepare(conn, std::string("SELECT board, generation, period, player_id, score, reached_at, version"
                                      " FROM leaderboard_entries") + kEntryKey);
  bindKey(*st, 1, key.board, key.generation, key.index, key.player_id);
  std::unique_ptr<sql::ResultSet> row(st->executeQuery());
  if (!row->next()) return std::optional<ScoreRow>{};
  return std::optional<ScoreRow>(rowToScore(*row));
}

Result<SubmittedThrough> submitThrough(sql::Connection& conn, const LeaderboardDef& def, int64_t index,
                                       uint64_t player_id, int64_t score, int64_t now_ms) {
  return inTransaction(conn, [&]() -> Result<SubmittedThrough> {
    auto board = prepare(conn, "SELECT generation FROM leaderboards WHERE board = ? LOCK IN SHARE MODE");
    board->setString(1, def.board());
    std::unique_ptr<sql::ResultSet> b(board->executeQuery());
    if (!b->next()) return Error{Errc::kNotFound, "no leaderboard \"" + def.board() + "\""};
    layout::DirtyEntry key{def.board(), b->getUInt64(1), index, player_id};
    auto locked = prepare(conn, std::string("SELECT board, generation, period, player_id, score, reached_at, version"
                                            " FROM leaderboard_entries") + kEntryKey + " FOR UPDATE");
    bindKey(*locked, 1, key.board, key.generation, key.index, key.player_id);
    std::unique_ptr<sql::ResultSet> row(locked->executeQuery());
    std::optional<layout::EntryRecord> old;
    if (row->next()) old = rowToScore(*row).entry;
    auto applied = applySubmit(def, old, score, now_ms);
    if (!applied) return applied.error();
    ScoreRow written{key.board, key.generation, index, player_id, applied->entry};
    if (applied->changed) {
      auto upserted = upsertScores(conn, {written});
      if (!upserted) return upserted.error();
      auto mark = prepare(conn, "INSERT INTO leaderboard_written_through (board, generation, period, player_id,"
                                " written_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE written_at = VALUES(written_at)");
      bindKey(*mark, 1, key.board, key.generation, index, player_id);
      mark->setInt64(5, now_ms);
      mark->executeUpdate();
    }
    uint64_t rank = rankOf(conn, def, key.board, key.generation, index, written);
    conn.commit();
    return SubmittedThrough{key.generation, *applied, rank};
  });
}

Result<std::vector<WrittenThroughScore>> scoresWrittenThrough(sql::Connection& conn,
                                                              const std::optional<layout::DirtyEntry>& after,
                                                              size_t limit) {
  std::string statement = "SELECT board, generation, period, player_id, written_at FROM leaderboard_written_through";
  if (after) statement += " WHERE (board, generation, period, player_id) > (?, ?, ?, ?)";
  statement += " ORDER BY board, generation, period, player_id LIMIT ?";
  auto st = prepare(conn, statement);
  unsigned next = 1;
  if (after) {
    bindKey(*st, 1, after->board, after->generation, after->index, after->player_id);
    next = 5;
  }
  st->setUInt64(next, limit);
  std::unique_ptr<sql::ResultSet> rows(st->executeQuery());
  std::vector<WrittenThroughScore> out;
  while (rows->next()) {
    out.push_back(WrittenThroughScore{
        layout::DirtyEntry{rows->getString(1).asStdString(), rows->getUInt64(2), rows->getInt64(3), rows->getUInt64(4)},
        rows->getInt64(5)});
  }
  return out;
}

Result<int64_t> settleScoreWriteThrough(sql::Connection& conn, const WrittenThroughScore& w,
                                        const std::optional<ScoreRow>& superseded, int64_t now_ms) {
  if (superseded) {
    auto keep = prepare(conn, "INSERT INTO leaderboard_superseded (board, generation, period, player_id, version,"
                              " score, reached_at, superseded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    bindKey(*keep, 1, superseded->board, superseded->generation, superseded->index, superseded->player_id);
    keep->setUInt64(5, superseded->entry.version);
    keep->setInt64(6, superseded->entry.score);
    keep->setInt64(7, superseded->entry.reached_at_ms);
    keep->setInt64(8, now_ms);
    keep->executeUpdate();
  }
  auto forget = prepare(conn, std::string("DELETE FROM leaderboard_written_through") + kEntryKey + " AND written_at = ?");
  bindKey(*forget, 1, w.key.board, w.key.generation, w.key.index, w.key.player_id);
  forget->setInt64(5, w.written_at);
  return static_cast<int64_t>(forget->executeUpdate());
}

namespace {

// "score DESC, reached_at, player_id" for HIGH_FIRST; `reversed` walks upwards.
std::string rankingOrder(const LeaderboardDef& def, bool reversed) {
  bool desc = (def.order() != LEADERBOARD_ORDER_LOW_FIRST) != reversed;
  const char* rest = reversed ? " DESC" : "";
  return std::string(" ORDER BY score") + (desc ? " DESC" : "") + ", reached_at" + rest + ", player_id" + rest;
}

// Entries of one period in ranking order, `where` restricting them: `bind`
// binds its parameters from the index given and returns the next index.
std::vector<ScoreRow> rankedRows(sql::Connection& conn, const LeaderboardDef& def, const LeaderboardPeriodId& id,
                                 const std::string& where, bool reversed, uint64_t offset, uint64_t limit,
                                 const std::function<unsigned(sql::PreparedStatement&, unsigned)>& bind) {
  auto st = prepare(conn, "SELECT board, generation, period, player_id, score, reached_at, version"
                          " FROM leaderboard_entries WHERE board = ? AND generation = ? AND period = ?" + where +
                          rankingOrder(def, reversed) + " LIMIT ? OFFSET ?");
  st->setString(1, def.board());
  st->setUInt64(2, id.generation());
  st->setInt64(3, id.index());
  unsigned next = bind ? bind(*st, 4) : 4;
  st->setUInt64(next, limit);
  st->setUInt64(next + 1, offset);
  std::unique_ptr<sql::ResultSet> rows(st->executeQuery());
  std::vector<ScoreRow> out;
  while (rows->next()) out.push_back(rowToScore(*rows));
  return out;
}

uint64_t periodTotal(sql::Connection& conn, const LeaderboardDef& def, const LeaderboardPeriodId& id) {
  auto st = prepare(conn, "SELECT COUNT(*) FROM leaderboard_entries WHERE board = ? AND generation = ? AND period = ?");
  st->setString(1, def.board());
  st->setUInt64(2, id.generation());
  st->setInt64(3, id.index());
  std::unique_ptr<sql::ResultSet> count(st->executeQuery());
  count->next();
  return count->getUInt64(1);
}

void addEntries(LeaderboardPage& page, const std::vector<ScoreRow>& rows, uint64_t first_rank) {
  for (const auto& r : rows) {
    LeaderboardEntry* e = page.add_entries();
    e->set_player_id(r.player_id);
    e->set_score(r.entry.score);
    e->set_reached_at_ms(r.entry.reached_at_ms);
    e->set_rank(first_rank++);
  }
}

}  // namespace

Result<LeaderboardPage> topFromRows(sql::Connection& conn, const LeaderboardDef& def, const LeaderboardPeriodId& id,
                                    uint32_t offset, uint32_t limit) {
  LeaderboardPage page;
  page.set_total(periodTotal(conn, def, id));
  addEntries(page, rankedRows(conn, def, id, "", false, offset, limit, nullptr), uint64_t{offset} + 1);
  return page;
}

Result<LeaderboardPage> aroundFromRows(sql::Connection& conn, const LeaderboardDef& def, const LeaderboardPeriodId& id,
                                       uint64_t player_id, uint32_t radius) {
  auto own = selectScore(conn, layout::DirtyEntry{def.board(), id.generation(), id.index(), player_id});
  if (!own) return own.error();
  if (!*own) {
    return Error{Errc::kNotFound, "player " + std::to_string(player_id) + " has no score on \"" + def.board() +
                                      "\" in that period"};
  }
  const ScoreRow& me = **own;
  uint64_t rank = rankOf(conn, def, def.board(), id.generation(), id.index(), me);
  // Before me: a better score, or the same one reached earlier (or at the
  // same ms by a lower id); after me: the rest.
  const char* better = def.order() == LEADERBOARD_ORDER_LOW_FIRST ? "<" : ">";
  const char* worse = def.order() == LEADERBOARD_ORDER_LOW_FIRST ? ">" : "<";
  auto bindMe = [&me](sql::PreparedStatement& st, unsigned first) {
    st.setInt64(first, me.entry.score);
    st.setInt64(first + 1, me.entry.score);
    st.setInt64(first + 2, me.entry.reached_at_ms);
    st.setInt64(first + 3, me.entry.reached_at_ms);
    st.setUInt64(first + 4, me.player_id);
    return first + 5;
  };
  auto side = [](const char* cmp, const char* tie) {
    return std::string(" AND (score ") + cmp + " ? OR (score = ? AND (reached_at " + tie +
           " ? OR (reached_at = ? AND player_id " + tie + " ?))))";
  };
  auto above = rankedRows(conn, def, id, side(better, "<"), true, 0, radius, bindMe);
  auto below = rankedRows(conn, def, id, side(worse, ">"), false, 0, radius, bindMe);
  LeaderboardPage page;
  page.set_total(periodTotal(conn, def, id));
  std::vector<ScoreRow> rows(above.rbegin(), above.rend());
  rows.push_back(me);
  rows.insert(rows.end(), below.begin(), below.end());
  addEntries(page, rows, rank - above.size());
  return page;
}

}  // namespace polis::db
