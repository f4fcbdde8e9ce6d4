#include "db/redis_layout.h"

#include <charconv>

namespace polis::db::redis_layout {

std::string packPlayer(const Player& p) {
  std::string out = std::to_string(p.version()) + ':' + std::to_string(p.account_id()) + ':' +
                    std::to_string(p.updated_at_ms()) + ':';
  out += p.data();
  return out;
}

std::optional<Player> unpackPlayer(std::string_view record, uint64_t id) {
  uint64_t fields[2] = {0, 0};
  int64_t updated = 0;
  const char* p = record.data();
  const char* end = record.data() + record.size();
  for (uint64_t& f : fields) {
    auto [next, ec] = std::from_chars(p, end, f);
    if (ec != std::errc() || next == end || *next != ':') return std::nullopt;
    p = next + 1;
  }
  auto [next, ec] = std::from_chars(p, end, updated);
  if (ec != std::errc() || next == end || *next != ':') return std::nullopt;
  Player player;
  player.set_player_id(id);
  player.set_version(fields[0]);
  player.set_account_id(fields[1]);
  player.set_updated_at_ms(updated);
  player.set_data(std::string(next + 1, end));
  return player;
}

}  // namespace polis::db::redis_layout
