// How the data service lays leaderboards out in Redis, and the Lua scripts
// that change and read them (atomic inside Redis). A board lives on the
// shard its name hashes to. Board names are [a-z0-9_.-], so ':' separates.
//
//   polis:lb:<board>:gen        string  the board's current generation (MariaDB's, copied)
//   polis:lb:<P>:warm           string  present once P's scores are all in Redis
//   polis:lb:<P>:e              hash    player -> "<version>:<score>:<reached>"
//   polis:lb:<P>:z              zset    "<reached><player>" -> the score, negated
//                                        for HIGH_FIRST boards (best first, ascending)
//   polis:lb:dirty              set     "<P>:<player>" whose Redis entry is newer than MariaDB's
//   polis:lb:dirtycount         hash    P -> how many of its entries are dirty
//   polis:lb:expiring           zset    P -> when its keys may go (an ended period; only once clean)
//
// where P is "<board>:<generation>:<index>" (one period of one board),
// <reached> the 13-digit Unix ms when the score was reached and <player> the
// 20-digit id: ties in a sorted set rank by member, so by who got there
// first, then by player id. Scores stay within ±(2^53 - 1), exact in Lua's
// and the sorted set's doubles. A period is "warm" once every score MariaDB
// has for it was loaded; until then it is not served or written from Redis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace polis::db::leaderboard_layout {

inline std::string periodKey(std::string_view board, uint64_t generation, int64_t index) {
  return std::string(board) + ":" + std::to_string(generation) + ":" + std::to_string(index);
}
inline std::string genKey(std::string_view board) { return "polis:lb:" + std::string(board) + ":gen"; }
inline std::string warmKey(const std::string& period) { return "polis:lb:" + period + ":warm"; }
inline std::string entriesKey(const std::string& period) { return "polis:lb:" + period + ":e"; }
inline std::string rankingKey(const std::string& period) { return "polis:lb:" + period + ":z"; }
inline constexpr const char* kDirty = "polis:lb:dirty";
inline constexpr const char* kDirtyCount = "polis:lb:dirtycount";
inline constexpr const char* kExpiring = "polis:lb:expiring";
inline constexpr int64_t kMaxScore = (int64_t{1} << 53) - 1;

// A dirty member "<board>:<generation>:<index>:<player>" taken apart.
struct DirtyEntry {
  std::string board;
  uint64_t generation = 0;
  int64_t index = 0;
  uint64_t player_id = 0;
  std::string period() const { return periodKey(board, generation, index); }
};
std::optional<DirtyEntry> parseDirty(std::string_view member);
inline std::string dirtyMember(const std::string& period, uint64_t player_id) {
  return period + ":" + std::to_string(player_id);
}

// An entry's record "<version>:<score>:<reached>".
struct EntryRecord {
  uint64_t version = 0;
  int64_t score = 0;
  int64_t reached_at_ms = 0;
};
std::string packEntry(const EntryRecord& e);
std::optional<EntryRecord> unpackEntry(std::string_view record);
// A ranking member "<reached 13 digits><player 20 digits>" taken apart.
std::optional<std::pair<int64_t, uint64_t>> parseMember(std::string_view member);
std::string reachedText(int64_t reached_at_ms);  // 13 digits

#define POLIS_LB_LUA_HELPERS \
  "local function pad(p) return string.rep('0', 20 - #p) .. p end\n" \
  "local function entry(s)\n" \
  "  local i1 = string.find(s, ':', 1, true)\n" \
  "  local i2 = string.find(s, ':', i1 + 1, true)\n" \
  "  return tonumber(string.sub(s, 1, i1 - 1)), tonumber(string.sub(s, i1 + 1, i2 - 1)), string.sub(s, i2 + 1)\n" \
  "end\n" \
  "local function norm(order, s) if order == '1' then return -s end return s end\n" \
  "local function current(genkey, gen)\n" \
  "  if gen == '' then return nil end\n" \
  "  local g = redis.call('GET', genkey)\n" \
  "  if not g then return {-3} end\n" \
  "  if g ~= gen then return {-4, tonumber(g)} end\n" \
  "  return nil\n" \
  "end\n"

// Status codes the scripts share: -1 the period is not warm, -3 the board's
// generation is not in Redis, -4 {-4, generation}: the caller's generation
// is not the current one.

// KEYS: gen, warm, entries, ranking, dirty, dirtycount, expiring.
// ARGV: generation, player, score, policy (1 best, 2 latest, 3 sum), order
// (1 high first, 2 low first), now (13 digits), dirty member, period, backlog
// limit, when the period may expire (ms, 0: never).
// Returns {1, score, rank} when changed, {0, score, rank} when not, -1/-3/-4,
// {-2, backlog} when the dirty set is full, {-5, score} when a sum overflows.
inline constexpr const char* kSubmit = POLIS_LB_LUA_HELPERS R"lua(
local stale = current(KEYS[1], ARGV[1])
if stale then return stale end
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
local player, submitted, policy, order = pad(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local old = redis.call('HGET', KEYS[3], ARGV[2])
local version, score, reached = 0, nil, nil
local new = submitted
if old then
  version, score, reached = entry(old)
  if policy == '1' and norm(order, submitted) >= norm(order, score) then new = score end
  if policy == '3' then
    new = score + submitted
    if new > 9007199254740991 or new < -9007199254740991 then return {-5, score} end
  end
  if new == score then return {0, score, redis.call('ZRANK', KEYS[4], reached .. player) + 1} end
end
if redis.call('SISMEMBER', KEYS[5], ARGV[7]) == 0 then
  local backlog = redis.call('SCARD', KEYS[5])
  if backlog >= tonumber(ARGV[9]) then return {-2, backlog} end
end
if old then redis.call('ZREM', KEYS[4], reached .. player) end
redis.call('ZADD', KEYS[4], norm(order, new), ARGV[6] .. player)
redis.call('HSET', KEYS[3], ARGV[2], string.format('%d:%d:%s', version + 1, new, ARGV[6]))
if redis.call('SADD', KEYS[5], ARGV[7]) == 1 then redis.call('HINCRBY', KEYS[6], ARGV[8], 1) end
if ARGV[10] ~= '0' then redis.call('ZADD', KEYS[7], ARGV[10], ARGV[8]) end
return {1, new, redis.call('ZRANK', KEYS[4], ARGV[6] .. player) + 1}
)lua";

// KEYS: warm, entries, ranking. ARGV: order, then pairs of player, record
// (from MariaDB). Loads a period that is not warm yet; an entry Redis holds
// at the same or a newer version is kept. Returns 0 when already warm.
inline constexpr const char* kWarmFill = POLIS_LB_LUA_HELPERS R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 2, #ARGV, 2 do
  local old = redis.call('HGET', KEYS[2], ARGV[i])
  local version, score, reached = entry(ARGV[i + 1])
  local keep = false
  if old then
    local v, s, r = entry(old)
    keep = v >= version
    if not keep then redis.call('ZREM', KEYS[3], r .. pad(ARGV[i])) end
  end
  if not keep then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    redis.call('ZADD', KEYS[3], norm(ARGV[1], score), reached .. pad(ARGV[i]))
  end
end
return 1
)lua";

// KEYS: warm, expiring. ARGV: period, when it may expire (0: never).
inline constexpr const char* kWarmDone = R"lua(
redis.call('SET', KEYS[1], '1', 'NX')
if ARGV[2] ~= '0' then redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1]) end
return 1
)lua";

// KEYS: gen. ARGV: generation. Raises the copy, never lowers it; returns it.
inline constexpr const char* kSetGeneration = R"lua(
local g = redis.call('GET', KEYS[1])
if not g or tonumber(g) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return tonumber(ARGV[1])
end
return tonumber(g)
)lua";

// KEYS: gen, warm, ranking. ARGV: generation ('' for a past period: no
// check), offset, limit. Returns {1, total, offset, {member, score, …}}.
inline constexpr const char* kTop = POLIS_LB_LUA_HELPERS R"lua(
local stale = current(KEYS[1], ARGV[1])
if stale then return stale end
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
local from = tonumber(ARGV[2])
return {1, redis.call('ZCARD', KEYS[3]), from,
        redis.call('ZRANGE', KEYS[3], from, from + tonumber(ARGV[3]) - 1, 'WITHSCORES')}
)lua";

// KEYS: gen, warm, entries, ranking. ARGV: generation (or ''), player,
// radius. Returns {1, total, first rank - 1, {member, score, …}}, or {0,
// total} when the player has no score.
inline constexpr const char* kAround = POLIS_LB_LUA_HELPERS R"lua(
local stale = current(KEYS[1], ARGV[1])
if stale then return stale end
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
local total = redis.call('ZCARD', KEYS[4])
local old = redis.call('HGET', KEYS[3], ARGV[2])
if not old then return {0, total} end
local _, _, reached = entry(old)
local rank = redis.call('ZRANK', KEYS[4], reached .. pad(ARGV[2]))
local radius = tonumber(ARGV[3])
local from = math.max(0, rank - radius)
return {1, total, from, redis.call('ZRANGE', KEYS[4], from, rank + radius, 'WITHSCORES')}
)lua";

// KEYS: entries, dirty, dirtycount. ARGV: player, the version flushed, dirty
// member, period. Clean only if nobody changed the entry meanwhile.
inline constexpr const char* kClean = POLIS_LB_LUA_HELPERS R"lua(
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local version = entry(old)
  if version ~= tonumber(ARGV[2]) then return 0 end
end
if redis.call('SREM', KEYS[2], ARGV[3]) == 1 then
  if redis.call('HINCRBY', KEYS[3], ARGV[4], -1) <= 0 then redis.call('HDEL', KEYS[3], ARGV[4]) end
end
return 1
)lua";

// KEYS: warm, entries, ranking, dirty, dirtycount. ARGV: order, player,
// MariaDB's record ('' if none), dirty member, period. Replaces the Redis
// entry with MariaDB's (a write-through stands) and marks it clean.
inline constexpr const char* kSettle = POLIS_LB_LUA_HELPERS R"lua(
local old = redis.call('HGET', KEYS[2], ARGV[2])
if old then
  local _, _, r = entry(old)
  redis.call('ZREM', KEYS[3], r .. pad(ARGV[2]))
  redis.call('HDEL', KEYS[2], ARGV[2])
end
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then
  local _, score, reached = entry(ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  redis.call('ZADD', KEYS[3], norm(ARGV[1], score), reached .. pad(ARGV[2]))
end
if redis.call('SREM', KEYS[4], ARGV[4]) == 1 then
  if redis.call('HINCRBY', KEYS[5], ARGV[5], -1) <= 0 then redis.call('HDEL', KEYS[5], ARGV[5]) end
end
return 1
)lua";

// KEYS: warm, entries, ranking, dirtycount, expiring. ARGV: period. Drops
// an ended period's keys, unless some of its entries are still dirty.
inline constexpr const char* kSweep = R"lua(
if tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0') > 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[5], ARGV[1])
return 1
)lua";

#undef POLIS_LB_LUA_HELPERS

}  // namespace polis::db::leaderboard_layout
