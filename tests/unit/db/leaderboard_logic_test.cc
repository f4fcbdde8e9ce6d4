// The pure parts of leaderboards: reset periods in UTC, the submit policies
// (as MariaDB's write-through applies them), and the Redis record formats.
#include <gtest/gtest.h>

#include <chrono>

#include "db/leaderboard_layout.h"
#include "db/leaderboard_period.h"
#include "db/leaderboard_rows.h"

namespace polis::db {
namespace {

namespace layout = leaderboard_layout;

constexpr int64_t kDay = 86'400'000;

int64_t utc(int y, unsigned m, unsigned d, int64_t ms_into_day = 0) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(sys_days{year{y} / month{m} / day{d}}.time_since_epoch()).count() + ms_into_day;
}

TEST(LeaderboardPeriod, DailyPeriodsAreUtcDays) {
  auto p = periodAt(LEADERBOARD_RESET_DAILY, 3, utc(2026, 12, 2, 5 * 3600 * 1000));
  EXPECT_EQ(p.id().generation(), 3u);
  EXPECT_EQ(p.starts_at_ms(), utc(2026, 12, 2));
  EXPECT_EQ(p.ends_at_ms(), utc(2026, 12, 3));
  EXPECT_EQ(p.id().index(), utc(2026, 12, 2) / kDay);
  EXPECT_EQ(periodAt(LEADERBOARD_RESET_DAILY, 1, utc(2026, 12, 3) - 1).id().index(), p.id().index());
  EXPECT_EQ(periodAt(LEADERBOARD_RESET_DAILY, 1, utc(2026, 12, 3)).id().index(), p.id().index() + 1);
}

TEST(LeaderboardPeriod, WeeksStartOnMonday) {
  // 2026-11-30 is a Monday; 2026-12-06 a Sunday.
  auto monday = periodAt(LEADERBOARD_RESET_WEEKLY, 1, utc(2026, 11, 30));
  EXPECT_EQ(monday.starts_at_ms(), utc(2026, 11, 30));
  EXPECT_EQ(monday.ends_at_ms(), utc(2026, 12, 7));
  EXPECT_EQ(periodAt(LEADERBOARD_RESET_WEEKLY, 1, utc(2026, 12, 6, kDay - 1)).id().index(), monday.id().index());
  EXPECT_EQ(periodAt(LEADERBOARD_RESET_WEEKLY, 1, utc(2026, 11, 29, kDay - 1)).id().index(), monday.id().index() - 1);
  auto first = periodAt(LEADERBOARD_RESET_WEEKLY, 1, 0);  // Thursday 1970-01-01 is in week 0
  EXPECT_EQ(first.id().index(), 0);
  EXPECT_EQ(first.starts_at_ms(), utc(1969, 12, 29));
}

TEST(LeaderboardPeriod, MonthsHaveTheirOwnLengths) {
  auto feb = periodAt(LEADERBOARD_RESET_MONTHLY, 1, utc(2028, 2, 29, 1000));
  EXPECT_EQ(feb.id().index(), 2028 * 12 + 1);
  EXPECT_EQ(feb.starts_at_ms(), utc(2028, 2, 1));
  EXPECT_EQ(feb.ends_at_ms(), utc(2028, 3, 1));
  auto dec = periodAt(LEADERBOARD_RESET_MONTHLY, 1, utc(2026, 12, 31, kDay - 1));
  EXPECT_EQ(dec.starts_at_ms(), utc(2026, 12, 1));
  EXPECT_EQ(dec.ends_at_ms(), utc(2027, 1, 1));
  LeaderboardPeriodId id;
  id.set_generation(1);
  id.set_index(dec.id().index() + 1);
  EXPECT_EQ(periodOf(LEADERBOARD_RESET_MONTHLY, id).starts_at_ms(), utc(2027, 1, 1));
}

TEST(LeaderboardPeriod, MonthNumbersMatchTheCalendarOverCenturies) {
  using namespace std::chrono;
  for (int y : {1600, 1900, 1969, 1970, 2000, 2100, 2400, 9999}) {
    for (unsigned m = 1; m <= 12; ++m) {
      LeaderboardPeriodId id;
      id.set_generation(1);
      id.set_index(int64_t{y} * 12 + m - 1);
      EXPECT_EQ(periodOf(LEADERBOARD_RESET_MONTHLY, id).starts_at_ms(), utc(y, m, 1)) << y << "-" << m;
    }
  }
}

TEST(LeaderboardPeriod, ANeverResetBoardHasOnePeriodPerGeneration) {
  auto p = periodAt(LEADERBOARD_RESET_NEVER, 4, utc(2026, 12, 2));
  EXPECT_EQ(p.id().index(), 0);
  EXPECT_EQ(p.starts_at_ms(), 0);
  EXPECT_EQ(p.ends_at_ms(), 0);
  LeaderboardPeriodId id;
  id.set_generation(2);
  id.set_index(12345);
  EXPECT_EQ(periodOf(LEADERBOARD_RESET_NEVER, id).id().index(), 0) << "any index names the generation's one period";
}

LeaderboardDef def(LeaderboardPolicy policy, LeaderboardOrder order = LEADERBOARD_ORDER_HIGH_FIRST) {
  LeaderboardDef d;
  d.set_board("b");
  d.set_policy(policy);
  d.set_order(order);
  return d;
}

TEST(LeaderboardPolicy, EachPolicyAppliesItsRule) {
  layout::EntryRecord old{4, 100, 1000};
  auto first = applySubmit(def(LEADERBOARD_POLICY_BEST), std::nullopt, 7, 50);
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(first->entry.version, 1u);
  EXPECT_EQ(first->entry.reached_at_ms, 50);
  EXPECT_FALSE(applySubmit(def(LEADERBOARD_POLICY_BEST), old, 90, 2000)->changed);
  auto better = applySubmit(def(LEADERBOARD_POLICY_BEST), old, 110, 2000);
  EXPECT_EQ(better->entry.score, 110);
  EXPECT_EQ(better->entry.version, 5u);
  EXPECT_EQ(better->entry.reached_at_ms, 2000);
  EXPECT_EQ(applySubmit(def(LEADERBOARD_POLICY_BEST, LEADERBOARD_ORDER_LOW_FIRST), old, 90, 2000)->entry.score, 90);
  EXPECT_FALSE(applySubmit(def(LEADERBOARD_POLICY_BEST, LEADERBOARD_ORDER_LOW_FIRST), old, 110, 2000)->changed);
  EXPECT_EQ(applySubmit(def(LEADERBOARD_POLICY_LATEST), old, 3, 2000)->entry.score, 3);
  auto same = applySubmit(def(LEADERBOARD_POLICY_LATEST), old, 100, 2000);
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->entry.reached_at_ms, 1000) << "an unchanged score keeps when it was reached";
  EXPECT_EQ(applySubmit(def(LEADERBOARD_POLICY_SUM), old, -30, 2000)->entry.score, 70);
  EXPECT_FALSE(applySubmit(def(LEADERBOARD_POLICY_SUM), old, 0, 2000)->changed);
  layout::EntryRecord big{1, layout::kMaxScore, 1};
  EXPECT_FALSE(applySubmit(def(LEADERBOARD_POLICY_SUM), big, 1, 2).ok());
  EXPECT_EQ(applySubmit(def(LEADERBOARD_POLICY_SUM), big, -1, 2)->entry.score, layout::kMaxScore - 1);
}

TEST(LeaderboardLayout, RecordsAndMembersRoundTrip) {
  layout::EntryRecord e{7, -42, 1796200642743};
  EXPECT_EQ(layout::packEntry(e), "7:-42:1796200642743");
  auto back = layout::unpackEntry(layout::packEntry(e));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->version, 7u);
  EXPECT_EQ(back->score, -42);
  EXPECT_EQ(back->reached_at_ms, 1796200642743);
  EXPECT_EQ(layout::reachedText(5), "0000000000005");
  auto member = layout::parseMember("1796200642743" "18446744073709551615");
  ASSERT_TRUE(member);
  EXPECT_EQ(member->first, 1796200642743);
  EXPECT_EQ(member->second, 18446744073709551615ull);
  auto dirty = layout::parseDirty(layout::dirtyMember(layout::periodKey("cup.eu-1", 3, 20424), 99));
  ASSERT_TRUE(dirty);
  EXPECT_EQ(dirty->board, "cup.eu-1");
  EXPECT_EQ(dirty->generation, 3u);
  EXPECT_EQ(dirty->index, 20424);
  EXPECT_EQ(dirty->player_id, 99u);
}

TEST(LeaderboardLayout, DamagedRecordsAreRefused) {
  for (const char* bad : {"", "7", "7:1", "x:1:2", "7:1:2:3", "7::2", "7:1:"}) {
    EXPECT_FALSE(layout::unpackEntry(bad)) << bad;
  }
  for (const char* bad : {"", "b:1:2", ":1:2:3", "b:1:2:0", "b:x:2:3", "b:1:2:3x"}) {
    EXPECT_FALSE(layout::parseDirty(bad)) << bad;
  }
  EXPECT_FALSE(layout::parseMember("12345"));
  EXPECT_FALSE(layout::parseMember(std::string(33, 'x')));
}

}  // namespace
}  // namespace polis::db
