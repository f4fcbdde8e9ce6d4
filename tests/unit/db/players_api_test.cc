// The Players API of a real polis-db over RPC (see db_api_client.h). What
// reaches MariaDB, and when, is checked from outside by test_db_api.py.
#include <string>
#include <vector>

#include "db_api_client.h"
#include "polis/db.polis.h"

namespace polis::db::testing {
namespace {

class PlayersApiTest : public DbApiTest {
 protected:
  gen::Players::Stub players() { return gen::Players::Stub(client->channel()); }
  Result<Player> create(uint64_t id, const std::string& data) {
    CreatePlayerReq req;
    req.set_player_id(id);
    req.set_account_id(id + 7);
    req.set_data(data);
    return await([&] { return players().Create(req); });
  }
  Result<Player> load(uint64_t id) {
    LoadPlayerReq req;
    req.set_player_id(id);
    return await([&] { return players().Load(req); });
  }
  Result<SavePlayerAck> save(uint64_t id, uint64_t expected, const std::string& data, bool durable = false) {
    SavePlayerReq req;
    req.set_player_id(id);
    req.set_expected_version(expected);
    req.set_data(data);
    req.set_durable(durable);
    return await([&] { return players().Save(req); });
  }
};

TEST_F(PlayersApiTest, CreateLoadSaveRoundTrip) {
  uint64_t id = freshId();
  std::string data("level=1\0gold=5", 14);
  auto made = create(id, data);
  ASSERT_TRUE(made.ok()) << made.error().describe();
  EXPECT_EQ(made->version(), 1u);
  auto loaded = load(id);
  ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
  EXPECT_EQ(loaded->data(), data);
  EXPECT_EQ(loaded->account_id(), id + 7);
  auto saved = save(id, 1, "level=2");
  ASSERT_TRUE(saved.ok()) << saved.error().describe();
  EXPECT_EQ(saved->version(), 2u);
  auto again = load(id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version(), 2u);
  EXPECT_EQ(again->data(), "level=2");
}

TEST_F(PlayersApiTest, AStaleVersionIsRefusedWithItsOwnCode) {
  uint64_t id = freshId();
  ASSERT_TRUE(create(id, "a").ok());
  ASSERT_TRUE(save(id, 1, "b").ok());
  auto stale = save(id, 1, "c");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::kVersionConflict) << stale.error().describe();
  EXPECT_EQ(load(id)->data(), "b") << "a refused save changed the player";
  auto retried = save(id, load(id)->version(), "c");
  EXPECT_TRUE(retried.ok()) << "reload and retry must work";
}

TEST_F(PlayersApiTest, ConcurrentSavesOfOnePlayerNeverLoseAnUpdate) {
  uint64_t id = freshId();
  ASSERT_TRUE(create(id, "0").ok());
  // 20 writers each add one to a counter, reloading and retrying on conflicts.
  int done = 0;
  for (int w = 0; w < 20; ++w) {
    spawn([](gen::Players::Stub stub, uint64_t id, int* done) -> Task<void> {
      for (int attempt = 0; attempt < 200; ++attempt) {
        LoadPlayerReq load_req;
        load_req.set_player_id(id);
        auto loading = stub.Load(load_req);
        auto current = co_await loading;
        if (!current) continue;
        SavePlayerReq req;
        req.set_player_id(id);
        req.set_expected_version(current->version());
        req.set_data(std::to_string(std::stoi(current->data()) + 1));
        auto saving = stub.Save(req);
        auto saved = co_await saving;
        if (saved) break;
        if (saved.error().code != Errc::kVersionConflict) break;
      }
      ++*done;
    }(players(), id, &done));
  }
  ASSERT_TRUE(polis::testing::runUntil(loop, [&] { return done == 20; }, 20s));
  auto final_state = load(id);
  ASSERT_TRUE(final_state.ok());
  EXPECT_EQ(final_state->data(), "20") << "an update was lost";
  EXPECT_EQ(final_state->version(), 21u);
}

TEST_F(PlayersApiTest, DurableSaveAndTypedErrors) {
  uint64_t id = freshId();
  ASSERT_TRUE(create(id, "x").ok());
  auto durable = save(id, 1, "bought:sword", true);
  ASSERT_TRUE(durable.ok()) << durable.error().describe();
  EXPECT_EQ(create(id, "again").error().code, Errc::kAlreadyExists);
  EXPECT_EQ(load(freshId()).error().code, Errc::kNotFound);
  EXPECT_EQ(save(freshId(), 1, "y").error().code, Errc::kNotFound);
  EXPECT_EQ(load(0).error().code, Errc::kInvalidArgument);
  auto huge = save(id, 2, std::string((1 << 20) + 1, 'z'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace polis::db::testing
