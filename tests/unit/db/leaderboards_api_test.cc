// The Leaderboards API of a real polis-db over RPC (see db_api_client.h);
// test_db_api.py reads the flushed rows back from MariaDB directly.
#include <string>
#include <vector>

#include "db_api_client.h"
#include "polis/db.polis.h"

namespace polis::db::testing {
namespace {

constexpr int64_t kMax = (int64_t{1} << 53) - 1;

class LeaderboardsApiTest : public DbApiTest {
 protected:
  gen::Leaderboards::Stub boards() { return gen::Leaderboards::Stub(client->channel()); }

  // A board name unique to this run.
  static std::string fresh(const std::string& stem) { return stem + "-" + std::to_string(freshId()); }

  Result<Leaderboard> define(const std::string& board, LeaderboardPolicy policy,
                             LeaderboardOrder order = LEADERBOARD_ORDER_HIGH_FIRST,
                             LeaderboardReset reset = LEADERBOARD_RESET_NEVER) {
    DefineLeaderboardReq req;
    req.mutable_def()->set_board(board);
    req.mutable_def()->set_policy(policy);
    req.mutable_def()->set_order(order);
    req.mutable_def()->set_reset(reset);
    return await([&] { return boards().Define(req); });
  }
  Result<SubmitScoreAck> submit(const std::string& board, uint64_t player, int64_t score, bool durable = false) {
    SubmitScoreReq req;
    req.set_board(board);
    req.set_player_id(player);
    req.set_score(score);
    req.set_durable(durable);
    return await([&] { return boards().Submit(req); });
  }
  Result<LeaderboardPage> top(const std::string& board, uint32_t offset = 0, uint32_t limit = 0,
                              const LeaderboardPeriodId* period = nullptr) {
    TopScoresReq req;
    req.set_board(board);
    req.set_offset(offset);
    req.set_limit(limit);
    if (period) *req.mutable_period() = *period;
    return await([&] { return boards().Top(req); });
  }
  Result<LeaderboardPage> around(const std::string& board, uint64_t player, uint32_t radius) {
    ScoresAroundReq req;
    req.set_board(board);
    req.set_player_id(player);
    req.set_radius(radius);
    return await([&] { return boards().Around(req); });
  }
  Result<Leaderboard> reset(const std::string& board) {
    ResetLeaderboardReq req;
    req.set_board(board);
    return await([&] { return boards().Reset(req); });
  }
  // (player, score) of a page, in rank order; checks that ranks count up.
  static std::vector<std::pair<uint64_t, int64_t>> standings(const LeaderboardPage& page) {
    std::vector<std::pair<uint64_t, int64_t>> out;
    for (int i = 0; i < page.entries_size(); ++i) {
      const auto& e = page.entries(i);
      if (i > 0) {
        EXPECT_EQ(e.rank(), page.entries(i - 1).rank() + 1);
      }
      out.emplace_back(e.player_id(), e.score());
    }
    return out;
  }
};

TEST_F(LeaderboardsApiTest, DefiningIsIdempotentAndAnotherDefinitionIsRefused) {
  std::string board = fresh("arena");
  auto made = define(board, LEADERBOARD_POLICY_BEST);
  ASSERT_TRUE(made.ok()) << made.error().describe();
  EXPECT_EQ(made->def().board(), board);
  EXPECT_EQ(made->current().id().generation(), 1u);
  auto again = define(board, LEADERBOARD_POLICY_BEST);
  ASSERT_TRUE(again.ok()) << "the same definition twice is fine";
  auto other = define(board, LEADERBOARD_POLICY_SUM);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Errc::kAlreadyExists);
  EXPECT_NE(other.error().message.find("LEADERBOARD_POLICY_BEST"), std::string::npos) << other.error().message;
  GetLeaderboardReq get;
  get.set_board(board);
  auto got = await([&] { return boards().Get(get); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->def().policy(), LEADERBOARD_POLICY_BEST);
  get.set_board(fresh("never-defined"));
  EXPECT_EQ(await([&] { return boards().Get(get); }).error().code, Errc::kNotFound);
  EXPECT_EQ(submit(fresh("never-defined"), 1, 5).error().code, Errc::kNotFound);
}

TEST_F(LeaderboardsApiTest, BestKeepsTheBestInEitherOrder) {
  std::string points = fresh("points"), laps = fresh("laps");
  ASSERT_TRUE(define(points, LEADERBOARD_POLICY_BEST).ok());
  ASSERT_TRUE(define(laps, LEADERBOARD_POLICY_BEST, LEADERBOARD_ORDER_LOW_FIRST).ok());
  uint64_t p = freshId();
  auto first = submit(points, p, 50);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_TRUE(first->changed());
  EXPECT_EQ(first->score(), 50);
  EXPECT_EQ(first->rank(), 1u);
  auto lower = submit(points, p, 40);
  ASSERT_TRUE(lower.ok());
  EXPECT_FALSE(lower->changed()) << "a lower score does not beat a HIGH_FIRST best";
  EXPECT_EQ(lower->score(), 50);
  EXPECT_EQ(submit(points, p, 70)->score(), 70);

  ASSERT_EQ(submit(laps, p, 90500)->score(), 90500);
  EXPECT_FALSE(submit(laps, p, 91000)->changed()) << "a slower lap does not beat a LOW_FIRST best";
  EXPECT_EQ(submit(laps, p, 88000)->score(), 88000);
  uint64_t q = freshId();
  auto faster = submit(laps, q, 70000);
  ASSERT_TRUE(faster.ok());
  EXPECT_EQ(faster->rank(), 1u);
  EXPECT_EQ(standings(*top(laps)), (std::vector<std::pair<uint64_t, int64_t>>{{q, 70000}, {p, 88000}}));
}

TEST_F(LeaderboardsApiTest, LatestReplacesAndSumAddsUpWithinItsBounds) {
  std::string latest = fresh("rating"), sum = fresh("kills");
  ASSERT_TRUE(define(latest, LEADERBOARD_POLICY_LATEST).ok());
  ASSERT_TRUE(define(sum, LEADERBOARD_POLICY_SUM).ok());
  uint64_t p = freshId();
  ASSERT_TRUE(submit(latest, p, 1500).ok());
  EXPECT_EQ(submit(latest, p, 1200)->score(), 1200) << "LATEST takes a lower score too";
  EXPECT_FALSE(submit(latest, p, 1200)->changed()) << "the same score again changes nothing";
  ASSERT_EQ(submit(sum, p, 3)->score(), 3);
  EXPECT_EQ(submit(sum, p, 4)->score(), 7);
  EXPECT_EQ(submit(sum, p, -10)->score(), -3);
  ASSERT_EQ(submit(sum, p, kMax)->score(), kMax - 3);
  auto over = submit(sum, p, 4);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::kInvalidArgument) << over.error().describe();
  EXPECT_EQ(around(sum, p, 0)->entries(0).score(), kMax - 3) << "a refused sum changed the score";
}

TEST_F(LeaderboardsApiTest, ConcurrentSumsAllCount) {
  std::string board = fresh("coins");
  ASSERT_TRUE(define(board, LEADERBOARD_POLICY_SUM).ok());
  uint64_t p = freshId();
  int done = 0, ok = 0;
  for (int i = 0; i < 50; ++i) {
    spawn([](gen::Leaderboards::Stub stub, std::string board, uint64_t p, int* done, int* ok) -> Task<void> {
      SubmitScoreReq req;
      req.set_board(board);
      req.set_player_id(p);
      req.set_score(2);
      auto submitting = stub.Submit(req);
      auto r = co_await submitting;
      *ok += r.ok();
      ++*done;
    }(boards(), board, p, &done, &ok));
  }
  ASSERT_TRUE(polis::testing::runUntil(loop, [&] { return done == 50; }, 20s));
  EXPECT_EQ(ok, 50);
  EXPECT_EQ(around(board, p, 0)->entries(0).score(), 100);
}

TEST_F(LeaderboardsApiTest, TopPagesInRankOrderAndTiesGoToWhoReachedFirst) {
  std::string board = fresh("season");
  ASSERT_TRUE(define(board, LEADERBOARD_POLICY_LATEST).ok());
  std::vector<uint64_t> players;
  for (int i = 0; i < 12; ++i) players.push_back(freshId());
  // Scores 10, 20, …, 120; players[3] then players[0] reach 40 (ties).
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(submit(board, players[i], 10 * (i + 1)).ok());
  polis::testing::runFor(loop, 5ms);  // a later millisecond
  ASSERT_TRUE(submit(board, players[0], 40).ok());
  auto page = top(board, 0, 5);
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_EQ(page->total(), 12u);
  EXPECT_EQ(page->entries(0).rank(), 1u);
  EXPECT_EQ(standings(*page), (std::vector<std::pair<uint64_t, int64_t>>{
                                  {players[11], 120}, {players[10], 110}, {players[9], 100}, {players[8], 90},
                                  {players[7], 80}}));
  auto tail = top(board, 8, 10);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->entries(0).rank(), 9u);
  EXPECT_EQ(standings(*tail), (std::vector<std::pair<uint64_t, int64_t>>{
                                  {players[3], 40}, {players[0], 40}, {players[2], 30}, {players[1], 20}}))
      << "players[3] reached 40 first";
  EXPECT_LT(tail->entries(0).reached_at_ms(), tail->entries(1).reached_at_ms());
  EXPECT_EQ(top(board, 12, 10)->entries_size(), 0) << "past the end: an empty page";
  EXPECT_EQ(top(board)->entries_size(), 10) << "limit 0 means 10";
}

TEST_F(LeaderboardsApiTest, AroundGivesTheRankAndTheNeighbours) {
  std::string board = fresh("ladder");
  ASSERT_TRUE(define(board, LEADERBOARD_POLICY_BEST).ok());
  std::vector<uint64_t> players;
  for (int i = 0; i < 9; ++i) {
    players.push_back(freshId());
    ASSERT_TRUE(submit(board, players.back(), 100 - i).ok());  // players[i] is rank i + 1
  }
  auto mid = around(board, players[4], 2);
  ASSERT_TRUE(mid.ok()) << mid.error().describe();
  EXPECT_EQ(mid->total(), 9u);
  ASSERT_EQ(mid->entries_size(), 5);
  EXPECT_EQ(mid->entries(0).rank(), 3u);
  EXPECT_EQ(standings(*mid), (std::vector<std::pair<uint64_t, int64_t>>{
                                 {players[2], 98}, {players[3], 97}, {players[4], 96}, {players[5], 95}, {players[6], 94}}));
  auto first = around(board, players[0], 3);
  ASSERT_EQ(first->entries_size(), 4) << "nobody above the first";
  EXPECT_EQ(first->entries(0).player_id(), players[0]);
  EXPECT_EQ(first->entries(0).rank(), 1u);
  auto last = around(board, players[8], 1);
  ASSERT_EQ(last->entries_size(), 2);
  EXPECT_EQ(last->entries(1).rank(), 9u);
  auto nobody = around(board, freshId(), 2);
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().code, Errc::kNotFound);
}

TEST_F(LeaderboardsApiTest, ResetStartsAnEmptyGenerationAndTheOldOneStaysReadable) {
  std::string board = fresh("cup");
  ASSERT_TRUE(define(board, LEADERBOARD_POLICY_BEST).ok());
  uint64_t p = freshId(), q = freshId();
  ASSERT_TRUE(submit(board, p, 10).ok());
  ASSERT_TRUE(submit(board, q, 20).ok());
  auto before = top(board);
  ASSERT_TRUE(before.ok());
  LeaderboardPeriodId old = before->period().id();
  EXPECT_EQ(old.generation(), 1u);

  auto after = reset(board);
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_EQ(after->current().id().generation(), 2u);
  auto empty = top(board);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->total(), 0u) << "a reset board is empty";
  EXPECT_EQ(empty->period().id().generation(), 2u);
  auto fresh_score = submit(board, p, 5);
  ASSERT_TRUE(fresh_score.ok());
  EXPECT_EQ(fresh_score->score(), 5) << "the old best does not carry over";
  EXPECT_EQ(fresh_score->period().id().generation(), 2u);

  auto past = top(board, 0, 10, &old);
  ASSERT_TRUE(past.ok()) << past.error().describe();
  EXPECT_EQ(standings(*past), (std::vector<std::pair<uint64_t, int64_t>>{{q, 20}, {p, 10}}));
  EXPECT_EQ(reset(fresh("never-defined")).error().code, Errc::kNotFound);
}

TEST_F(LeaderboardsApiTest, AScheduledBoardCountsInTheCurrentUtcPeriod) {
  std::string board = fresh("daily");
  auto made = define(board, LEADERBOARD_POLICY_SUM, LEADERBOARD_ORDER_HIGH_FIRST, LEADERBOARD_RESET_DAILY);
  ASSERT_TRUE(made.ok());
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  const auto& period = made->current();
  EXPECT_EQ(period.id().index(), now / 86'400'000);
  EXPECT_EQ(period.starts_at_ms(), period.id().index() * 86'400'000);
  EXPECT_EQ(period.ends_at_ms(), period.starts_at_ms() + 86'400'000);
  auto submitted = submit(board, freshId(), 3, true);
  ASSERT_TRUE(submitted.ok()) << submitted.error().describe();
  EXPECT_EQ(submitted->period().id().index(), period.id().index());
}

TEST_F(LeaderboardsApiTest, BadInputGetsATypedError) {
  std::string board = fresh("strict");
  ASSERT_TRUE(define(board, LEADERBOARD_POLICY_BEST).ok());
  for (const std::string& name : {std::string(""), std::string(65, 'a'), std::string("Caps"),
                                  std::string("'; DROP TABLE leaderboards;--"), std::string("a:b"),
                                  std::string("nul\0x", 5), std::string("名前")}) {
    auto r = define(name, LEADERBOARD_POLICY_BEST);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << name;
    EXPECT_EQ(submit(name, 1, 1).error().code, Errc::kInvalidArgument) << name;
  }
  EXPECT_EQ(define(fresh("x"), LEADERBOARD_POLICY_UNSPECIFIED).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(define(fresh("x"), static_cast<LeaderboardPolicy>(9)).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(define(fresh("x"), LEADERBOARD_POLICY_BEST, LEADERBOARD_ORDER_UNSPECIFIED).error().code,
            Errc::kInvalidArgument);
  EXPECT_EQ(define(fresh("x"), LEADERBOARD_POLICY_BEST, LEADERBOARD_ORDER_LOW_FIRST,
                   static_cast<LeaderboardReset>(17)).error().code,
            Errc::kInvalidArgument);
  EXPECT_EQ(submit(board, 0, 1).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(submit(board, 1, kMax + 1).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(submit(board, 1, -kMax - 1).error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(submit(board, freshId(), -kMax).ok());
  EXPECT_EQ(top(board, 0, 101).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(top(board, 2'000'000, 10).error().code, Errc::kInvalidArgument);
  LeaderboardPeriodId zero;
  EXPECT_EQ(top(board, 0, 10, &zero).error().code, Errc::kInvalidArgument);
  LeaderboardPeriodId far;
  far.set_generation(1);
  far.set_index(-1);
  EXPECT_EQ(top(board, 0, 10, &far).error().code, Errc::kInvalidArgument);
  far.set_index(INT64_MAX);
  EXPECT_EQ(top(board, 0, 10, &far).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(around(board, 1, 51).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(around(board, 0, 1).error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace polis::db::testing
