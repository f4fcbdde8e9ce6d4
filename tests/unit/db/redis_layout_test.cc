// The player record format in Redis (db/redis_layout.h).
#include "db/redis_layout.h"

#include <gtest/gtest.h>

namespace polis::db::redis_layout {
namespace {

TEST(RedisLayout, PackedPlayersRoundTripWithBinaryData) {
  Player p;
  p.set_player_id(42);
  p.set_account_id(7);
  p.set_version(18446744073709551615ull);
  p.set_updated_at_ms(1764650000000);
  p.set_data(std::string("a:b\0c:\n", 7));
  std::string record = packPlayer(p);
  EXPECT_TRUE(record.starts_with("18446744073709551615:7:1764650000000:")) << record;
  auto back = unpackPlayer(record, 42);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->version(), p.version());
  EXPECT_EQ(back->account_id(), 7u);
  EXPECT_EQ(back->updated_at_ms(), p.updated_at_ms());
  EXPECT_EQ(back->data(), p.data()) << "colons, NULs and newlines in the data survive";
  EXPECT_EQ(back->player_id(), 42u);
}

TEST(RedisLayout, DamagedRecordsAreRefused) {
  for (const char* bad : {"", "1", "1:2", "1:2:3", "x:2:3:", "1:y:3:", "1:2:z:", "-1:2:3:"}) {
    EXPECT_FALSE(unpackPlayer(bad, 1)) << bad;
  }
  EXPECT_TRUE(unpackPlayer("1:2:3:", 1)) << "empty data is fine";
}

}  // namespace
}  // namespace polis::db::redis_layout
