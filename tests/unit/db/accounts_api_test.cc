// The Accounts API of a real polis-db over RPC (see db_api_client.h).
#include <random>
#include <string>
#include <vector>

#include "db_api_client.h"
#include "polis/db.polis.h"

namespace polis::db::testing {
namespace {

// Names unique to this run, so the test can run against a database twice.
std::string unique(const std::string& base) {
  static const std::string run = std::to_string(std::random_device{}());
  return base + "-" + run;
}

class AccountsApiTest : public DbApiTest {
 protected:
  gen::Accounts::Stub accounts() { return gen::Accounts::Stub(client->channel()); }
  Result<Account> create(const std::string& name, const std::string& hash = "h") {
    CreateAccountReq req;
    req.set_name(name);
    req.set_password_hash(hash);
    return await([&] { return accounts().Create(req); });
  }
  Result<Account> findByName(const std::string& name) {
    FindAccountReq req;
    req.set_name(name);
    return await([&] { return accounts().Find(req); });
  }
  Result<Account> findById(uint64_t id) {
    FindAccountReq req;
    req.set_account_id(id);
    return await([&] { return accounts().Find(req); });
  }
};

TEST_F(AccountsApiTest, CreateThenFindByNameIgnoringCaseAndById) {
  std::string name = unique("Alice");
  auto made = create(name, std::string("salt\0hash\xff", 10));
  ASSERT_TRUE(made.ok()) << made.error().describe();
  EXPECT_GT(made->account_id(), 0u);
  EXPECT_GT(made->created_at_ms(), 1700000000000);
  std::string lower = name;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto found = findByName(lower);
  ASSERT_TRUE(found.ok()) << found.error().describe();
  EXPECT_EQ(found->account_id(), made->account_id());
  EXPECT_EQ(found->name(), name) << "the name is stored as given";
  EXPECT_EQ(found->password_hash(), std::string("salt\0hash\xff", 10)) << "the hash is bytes, NULs included";
  auto by_id = findById(made->account_id());
  ASSERT_TRUE(by_id.ok()) << by_id.error().describe();
  EXPECT_EQ(by_id->name(), name);
}

TEST_F(AccountsApiTest, ANameTakenInAnyCaseIsRefused) {
  std::string name = unique("Bob");
  ASSERT_TRUE(create(name).ok());
  std::string upper = name;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto again = create(upper);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kAlreadyExists) << again.error().describe();
}

TEST_F(AccountsApiTest, OnlyOneOfManyRacingCreatesWins) {
  std::string name = unique("Racer");
  std::vector<std::optional<Result<Account>>> out(20);
  for (size_t i = 0; i < out.size(); ++i) {
    CreateAccountReq req;
    req.set_name(i % 2 ? name : unique("RACER"));  // same name, two spellings
    accounts().Create(req, [&out, i](Result<Account> r) { out[i].emplace(std::move(r)); });
  }
  ASSERT_TRUE(polis::testing::runUntil(loop, [&] {
    for (auto& o : out) if (!o) return false;
    return true;
  }, 10s));
  int won = 0, taken = 0;
  for (auto& o : out) {
    if (o->ok()) ++won;
    else if (o->error().code == Errc::kAlreadyExists) ++taken;
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(taken, 19);
}

TEST_F(AccountsApiTest, HostileNamesAreStoredVerbatim) {
  for (std::string name : {std::string("Robert'); DROP TABLE accounts;--"), std::string("quote\"and'back\\slash"),
                           std::string("% _ wildcards"), std::string("名前🎮")}) {
    name = unique(name);
    auto made = create(name);
    ASSERT_TRUE(made.ok()) << name << ": " << made.error().describe();
    auto found = findByName(name);
    ASSERT_TRUE(found.ok()) << name << ": " << found.error().describe();
    EXPECT_EQ(found->name(), name);
  }
  auto wildcard = findByName(unique("%"));
  EXPECT_FALSE(wildcard.ok()) << "a % matched as a wildcard";
}

TEST_F(AccountsApiTest, InvalidNamesAreRefusedWithAReason) {
  for (const std::string& bad : {std::string(), std::string(65, 'x'), std::string("nul\0inside", 10),
                                 std::string("tab\there")}) {
    auto r = create(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << r.error().describe();
    EXPECT_NE(r.error().message.find("login name"), std::string::npos) << r.error().message;
  }
  // Invalid UTF-8 in a proto3 string does not even parse: the request is refused as a bad message.
  for (const std::string& bad : {std::string("\xc3\x28"), std::string("\xed\xa0\x80")}) {
    auto r = create(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::kBadMessage) << r.error().describe();
  }
  EXPECT_TRUE(create(unique(std::string(64 - 11, 'y'))).ok()) << "64 bytes is allowed";
  auto huge_hash = create(unique("hash"), std::string(1025, 'h'));
  ASSERT_FALSE(huge_hash.ok());
  EXPECT_EQ(huge_hash.error().code, Errc::kInvalidArgument);
}

TEST_F(AccountsApiTest, PasswordBanAndUnban) {
  auto made = create(unique("Carol"));
  ASSERT_TRUE(made.ok());
  uint64_t id = made->account_id();
  SetPasswordHashReq pw;
  pw.set_account_id(id);
  pw.set_password_hash("new-hash");
  auto changed = await([&] { return accounts().SetPasswordHash(pw); });
  ASSERT_TRUE(changed.ok()) << changed.error().describe();
  EXPECT_EQ(changed->password_hash(), "new-hash");

  BanReq ban;
  ban.set_account_id(id);
  ban.set_until_ms(4102444800000);  // 2100-01-01
  ban.set_reason("cheating; said 'sorry'");
  auto banned = await([&] { return accounts().Ban(ban); });
  ASSERT_TRUE(banned.ok()) << banned.error().describe();
  EXPECT_EQ(findById(id)->banned_until_ms(), 4102444800000);
  EXPECT_EQ(findById(id)->ban_reason(), "cheating; said 'sorry'");

  UnbanReq unban;
  unban.set_account_id(id);
  auto free = await([&] { return accounts().Unban(unban); });
  ASSERT_TRUE(free.ok()) << free.error().describe();
  EXPECT_EQ(free->banned_until_ms(), 0);
  EXPECT_EQ(free->ban_reason(), "");
  EXPECT_EQ(free->password_hash(), "new-hash");
}

TEST_F(AccountsApiTest, UnknownAndMalformedIdsGetTypedErrors) {
  auto missing = findById(0xFFFFFFFFFFFFull);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  UnbanReq unban;
  unban.set_account_id(0xFFFFFFFFFFFFull);
  auto r = await([&] { return accounts().Unban(unban); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  unban.set_account_id(0);
  auto zero = await([&] { return accounts().Unban(unban); });
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, Errc::kInvalidArgument);
  BanReq ban;
  ban.set_account_id(1);
  auto no_time = await([&] { return accounts().Ban(ban); });
  ASSERT_FALSE(no_time.ok());
  EXPECT_EQ(no_time.error().code, Errc::kInvalidArgument);
  auto no_key = await([&] { return accounts().Find(FindAccountReq{}); });
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace polis::db::testing
