// How the data service lays players out in Redis (each shard holds its own
// players and its own dirty set), and the Lua scripts that change them. A
// script runs atomically inside Redis, so a version check and the write it
// guards cannot be split by another db node's write.
//
//   polis:player:<id>  hash  v = version, a = account id, d = data, t = updated_at (ms)
//   polis:dirty        set   ids whose Redis copy is newer than MariaDB's
//
// Invariant: an id is in polis:dirty only while its hash exists; a dirty
// player is never evicted (Redis runs with maxmemory-policy noeviction).
#pragma once

#include <cstdint>
#include <string>

namespace polis::db::redis_layout {

inline std::string playerKey(uint64_t id) { return "polis:player:" + std::to_string(id); }
inline constexpr const char* kDirty = "polis:dirty";

// KEYS: player, dirty. ARGV: expected version, data, now ms, id, backlog limit.
// Returns {1, new version}, {0, stored version} on a conflict, {-1, 0} when
// not cached, {-2, backlog} when the save would add a player to a dirty set
// already at the limit (MariaDB is not keeping up, or is down).
inline constexpr const char* kSave = R"lua(
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {-1, 0} end
if v ~= ARGV[1] then return {0, tonumber(v)} end
if redis.call('SISMEMBER', KEYS[2], ARGV[4]) == 0 then
  local backlog = redis.call('SCARD', KEYS[2])
  if backlog >= tonumber(ARGV[5]) then return {-2, backlog} end
end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2], 't', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return {1, nv}
)lua";

// KEYS: player. ARGV: version, account, data, updated_at. Caches a copy read
// from MariaDB unless Redis already holds that version or a newer one.
inline constexpr const char* kFill = R"lua(
local v = redis.call('HGET', KEYS[1], 'v')
if v and tonumber(v) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'a', ARGV[2], 'd', ARGV[3], 't', ARGV[4])
return 1
)lua";

// KEYS: player, dirty. ARGV: the version just flushed, id. The player is
// clean only if nobody saved it again meanwhile.
inline constexpr const char* kClean = R"lua(
if redis.call('HGET', KEYS[1], 'v') == ARGV[1] then
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return 0
)lua";

// KEYS: player, dirty. ARGV: id. Forgets the Redis copy (MariaDB's is newer).
inline constexpr const char* kDrop = R"lua(
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
)lua";

}  // namespace polis::db::redis_layout
