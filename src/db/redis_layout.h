// How the data service lays players out in Redis (each shard holds its own
// players and its own dirty set), and the Lua scripts that change them. A
// script runs atomically inside Redis, so a version check and the write it
// guards cannot be split by another db node's write.
//
//   polis:player:<id>  string  "<version>:<account>:<updated_at ms>:" then the data bytes
//   polis:dirty        set     ids whose Redis copy is newer than MariaDB's
//
// One string per player (not a hash): a cached load is one GET and one reply
// object, which measured a third cheaper than HMGET of four fields.
// Invariant: an id is in polis:dirty only while its player exists; a dirty
// player is never evicted (Redis runs with maxmemory-policy noeviction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "polis/db.pb.h"

namespace polis::db::redis_layout {

inline std::string playerKey(uint64_t id) { return "polis:player:" + std::to_string(id); }
inline constexpr const char* kDirty = "polis:dirty";

std::string packPlayer(const Player& p);
// nullopt when `record` is not a packed player.
std::optional<Player> unpackPlayer(std::string_view record, uint64_t id);

// The Lua side of the same format: the fields before the third ':'.
#define POLIS_LUA_FIELDS \
  "local function fields(s)\n" \
  "  local i1 = string.find(s, ':', 1, true)\n" \
  "  local i2 = string.find(s, ':', i1 + 1, true)\n" \
  "  local i3 = string.find(s, ':', i2 + 1, true)\n" \
  "  return string.sub(s, 1, i1 - 1), string.sub(s, i1 + 1, i2 - 1), i3\n" \
  "end\n"

// KEYS: player, dirty. ARGV: expected version, data, now ms, id, backlog limit.
// Returns {1, new version}, {0, stored version} on a conflict, {-1, 0} when
// not cached, {-2, backlog} when the save would add a player to a dirty set
// already at the limit (MariaDB is not keeping up, or is down).
inline constexpr const char* kSave = POLIS_LUA_FIELDS R"lua(
local s = redis.call('GET', KEYS[1])
if not s then return {-1, 0} end
local v, a = fields(s)
if v ~= ARGV[1] then return {0, tonumber(v)} end
if redis.call('SISMEMBER', KEYS[2], ARGV[4]) == 0 then
  local backlog = redis.call('SCARD', KEYS[2])
  if backlog >= tonumber(ARGV[5]) then return {-2, backlog} end
end
local nv = string.format('%d', tonumber(v) + 1)
redis.call('SET', KEYS[1], nv .. ':' .. a .. ':' .. ARGV[3] .. ':' .. ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
return {1, tonumber(nv)}
)lua";

// KEYS: player. ARGV: version, the packed player. Caches a copy read from
// MariaDB unless Redis already holds that version or a newer one.
inline constexpr const char* kFill = POLIS_LUA_FIELDS R"lua(
local s = redis.call('GET', KEYS[1])
if s then
  local v = fields(s)
  if tonumber(v) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
)lua";

// KEYS: player, dirty. ARGV: the version just flushed, id. The player is
// clean only if nobody saved it again meanwhile.
inline constexpr const char* kClean = POLIS_LUA_FIELDS R"lua(
local s = redis.call('GET', KEYS[1])
if not s then
  redis.call('SREM', KEYS[2], ARGV[2])
  return 0
end
if fields(s) == ARGV[1] then
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
return 0
)lua";

// KEYS: player, dirty. ARGV: id. Forgets the Redis copy (MariaDB's is newer).
inline constexpr const char* kDrop = R"lua(
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
)lua";

#undef POLIS_LUA_FIELDS

}  // namespace polis::db::redis_layout
