#include "db/leaderboard_period.h"

#include <chrono>

namespace polis::db {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr int64_t kDayMs = 86'400'000;
// Day 0 (1970-01-01) was a Thursday; weeks start on Monday, so week 0 starts
// on 1969-12-29, three days before day 0.
constexpr int64_t kMondayOffsetDays = 3;

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days from 1970-01-01 to the 1st of month `index` (= year * 12 + month - 1)
// in the proleptic Gregorian calendar; any int64 year that fits (Howard
// Hinnant's days_from_civil), so no index a caller sends can overflow it.
int64_t monthStartDays(int64_t index) {
  int64_t y = floorDiv(index, 12);
  int64_t m = index - y * 12 + 1;  // 1..12
  y -= m <= 2;
  int64_t era = floorDiv(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;  // the 1st of the month
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

LeaderboardPeriod periodOf(LeaderboardReset reset, const LeaderboardPeriodId& id) {
  LeaderboardPeriod p;
  *p.mutable_id() = id;
  int64_t i = id.index();
  switch (reset) {
    case LEADERBOARD_RESET_DAILY:
      p.set_starts_at_ms(i * kDayMs);
      p.set_ends_at_ms((i + 1) * kDayMs);
      break;
    case LEADERBOARD_RESET_WEEKLY:
      p.set_starts_at_ms((i * 7 - kMondayOffsetDays) * kDayMs);
      p.set_ends_at_ms(((i + 1) * 7 - kMondayOffsetDays) * kDayMs);
      break;
    case LEADERBOARD_RESET_MONTHLY:
      p.set_starts_at_ms(monthStartDays(i) * kDayMs);
      p.set_ends_at_ms(monthStartDays(i + 1) * kDayMs);
      break;
    default:  // never: one period per generation
      p.mutable_id()->set_index(0);
      break;
  }
  return p;
}

LeaderboardPeriod periodAt(LeaderboardReset reset, uint64_t generation, int64_t now_ms) {
  LeaderboardPeriodId id;
  id.set_generation(generation);
  int64_t day = floorDiv(now_ms, kDayMs);
  switch (reset) {
    case LEADERBOARD_RESET_DAILY:
      id.set_index(day);
      break;
    case LEADERBOARD_RESET_WEEKLY:
      id.set_index(floorDiv(day + kMondayOffsetDays, 7));
      break;
    case LEADERBOARD_RESET_MONTHLY: {
      std::chrono::year_month_day ymd{sys_days{days{day}}};
      id.set_index(int64_t{static_cast<int>(ymd.year())} * 12 + static_cast<unsigned>(ymd.month()) - 1);
      break;
    }
    default:
      id.set_index(0);
      break;
  }
  return periodOf(reset, id);
}

}  // namespace polis::db
