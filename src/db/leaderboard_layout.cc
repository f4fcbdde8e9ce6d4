#include "db/leaderboard_layout.h"

#include <charconv>
#include <cstdio>

namespace polis::db::leaderboard_layout {
namespace {

template <class T>
bool parseWhole(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::optional<DirtyEntry> parseDirty(std::string_view member) {
  DirtyEntry e;
  size_t a = member.find(':');
  size_t b = a == std::string_view::npos ? a : member.find(':', a + 1);
  size_t c = b == std::string_view::npos ? b : member.find(':', b + 1);
  if (c == std::string_view::npos || a == 0) return std::nullopt;
  e.board = std::string(member.substr(0, a));
  if (!parseWhole(member.substr(a + 1, b - a - 1), e.generation) || !parseWhole(member.substr(b + 1, c - b - 1), e.index) ||
      !parseWhole(member.substr(c + 1), e.player_id) || e.player_id == 0) {
    return std::nullopt;
  }
  return e;
}

std::string reachedText(int64_t reached_at_ms) {
  char text[24];
  std::snprintf(text, sizeof text, "%013lld", static_cast<long long>(reached_at_ms));
  return text;
}

std::string packEntry(const EntryRecord& e) {
  return std::to_string(e.version) + ":" + std::to_string(e.score) + ":" + reachedText(e.reached_at_ms);
}

std::optional<EntryRecord> unpackEntry(std::string_view record) {
  size_t a = record.find(':');
  size_t b = a == std::string_view::npos ? a : record.find(':', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  EntryRecord e;
  if (!parseWhole(record.substr(0, a), e.version) || !parseWhole(record.substr(a + 1, b - a - 1), e.score) ||
      !parseWhole(record.substr(b + 1), e.reached_at_ms)) {
    return std::nullopt;
  }
  return e;
}

std::optional<std::pair<int64_t, uint64_t>> parseMember(std::string_view member) {
  if (member.size() != 33) return std::nullopt;
  int64_t reached = 0;
  uint64_t player = 0;
  if (!parseWhole(member.substr(0, 13), reached) || !parseWhole(member.substr(13), player)) return std::nullopt;
  return std::make_pair(reached, player);
}

}  // namespace polis::db::leaderboard_layout
