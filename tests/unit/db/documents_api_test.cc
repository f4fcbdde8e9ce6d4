// The Documents API of a real polis-db over RPC (see db_api_client.h); the
// rows are read back from MariaDB directly by test_db_api.py.
#include <set>
#include <string>
#include <vector>

#include "db_api_client.h"
#include "polis/db.polis.h"

namespace polis::db::testing {
namespace {

constexpr size_t kMaxBytes = 64 << 10;  // db.documents.max_bytes's default

DocumentRef ref(DocumentScope scope, uint64_t owner, const std::string& key) {
  DocumentRef r;
  r.set_scope(scope);
  r.set_owner(owner);
  r.set_key(key);
  return r;
}

class DocumentsApiTest : public DbApiTest {
 protected:
  gen::Documents::Stub documents() { return gen::Documents::Stub(client->channel()); }

  uint64_t newPlayer() {
    uint64_t id = freshId();
    CreatePlayerReq req;
    req.set_player_id(id);
    req.set_account_id(id);
    auto made = await([&] { return gen::Players::Stub(client->channel()).Create(req); });
    EXPECT_TRUE(made.ok()) << made.error().describe();
    return id;
  }
  Result<Document> get(const DocumentRef& r) {
    GetDocumentReq req;
    *req.mutable_ref() = r;
    return await([&] { return documents().Get(req); });
  }
  Result<SetDocumentAck> set(const DocumentRef& r, const std::string& value, std::optional<uint64_t> expected = {}) {
    SetDocumentReq req;
    *req.mutable_ref() = r;
    req.set_value(value);
    if (expected) req.set_expected_version(*expected);
    return await([&] { return documents().Set(req); });
  }
  Result<DeleteDocumentAck> remove(const DocumentRef& r, std::optional<uint64_t> expected = {}) {
    DeleteDocumentReq req;
    *req.mutable_ref() = r;
    if (expected) req.set_expected_version(*expected);
    return await([&] { return documents().Delete(req); });
  }
  Result<DocumentList> list(DocumentScope scope, uint64_t owner, const std::string& prefix, uint32_t limit = 0,
                            const std::string& after = "", bool keys_only = false) {
    ListDocumentsReq req;
    req.set_scope(scope);
    req.set_owner(owner);
    req.set_prefix(prefix);
    req.set_limit(limit);
    req.set_after(after);
    req.set_keys_only(keys_only);
    return await([&] { return documents().List(req); });
  }
  // Every key under `prefix`, page by page.
  std::vector<std::string> allKeys(DocumentScope scope, uint64_t owner, const std::string& prefix, uint32_t limit) {
    std::vector<std::string> keys;
    std::string after;
    for (int page = 0; page < 100; ++page) {
      auto got = list(scope, owner, prefix, limit, after, true);
      EXPECT_TRUE(got.ok()) << got.error().describe();
      if (!got) break;
      for (const auto& d : got->documents()) keys.push_back(d.ref().key());
      if (!got->more()) break;
      after = keys.back();
    }
    return keys;
  }
};

TEST_F(DocumentsApiTest, SetGetDeleteRoundTrip) {
  auto doc = ref(DOCUMENT_SCOPE_PLAYER, newPlayer(), "settings");
  std::string value("volume=3\0voice=on", 17);
  auto first = set(doc, value);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->version(), 1u);
  auto got = get(doc);
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(got->value(), value);
  EXPECT_EQ(got->version(), 1u);
  EXPECT_EQ(got->size(), value.size());
  EXPECT_EQ(got->ref().key(), "settings");
  EXPECT_GT(got->updated_at_ms(), 0);
  auto second = set(doc, "volume=9");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version(), 2u) << "a write without an expected version replaces the document";
  EXPECT_EQ(get(doc)->value(), "volume=9");

  auto deleted = remove(doc);
  ASSERT_TRUE(deleted.ok()) << deleted.error().describe();
  EXPECT_TRUE(deleted->existed());
  EXPECT_EQ(get(doc).error().code, Errc::kNotFound);
  EXPECT_FALSE(remove(doc)->existed());
}

TEST_F(DocumentsApiTest, ExpectedVersionsGuardEveryWrite) {
  auto doc = ref(DOCUMENT_SCOPE_GAME, freshId(), "rules");
  EXPECT_EQ(set(doc, "x", 3).error().code, Errc::kNotFound) << "version 3 of a document that does not exist";
  ASSERT_EQ(set(doc, "v1", 0)->version(), 1u) << "0: create only";
  auto again = set(doc, "other", 0);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::kVersionConflict) << again.error().describe();
  ASSERT_EQ(set(doc, "v2", 1)->version(), 2u);
  auto stale = set(doc, "late", 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, Errc::kVersionConflict);
  EXPECT_NE(stale.error().message.find("version 2"), std::string::npos) << stale.error().message;
  EXPECT_EQ(remove(doc, 1).error().code, Errc::kVersionConflict);
  EXPECT_EQ(get(doc)->value(), "v2") << "a refused write or delete changed the document";
  EXPECT_TRUE(remove(doc, 2)->existed());
  EXPECT_EQ(remove(doc, 2).error().code, Errc::kNotFound);
}

TEST_F(DocumentsApiTest, ConcurrentWritesEachGetTheirOwnVersion) {
  auto doc = ref(DOCUMENT_SCOPE_GAME, freshId(), "counter");
  std::vector<uint64_t> versions;
  int done = 0;
  for (int w = 0; w < 20; ++w) {
    spawn([](gen::Documents::Stub stub, DocumentRef r, int w, std::vector<uint64_t>* out, int* done) -> Task<void> {
      SetDocumentReq req;
      *req.mutable_ref() = r;
      req.set_value("writer " + std::to_string(w));
      auto setting = stub.Set(req);
      auto written = co_await setting;
      if (written) out->push_back(written->version());
      ++*done;
    }(documents(), doc, w, &versions, &done));
  }
  ASSERT_TRUE(polis::testing::runUntil(loop, [&] { return done == 20; }, 20s));
  std::set<uint64_t> distinct(versions.begin(), versions.end());
  ASSERT_EQ(versions.size(), 20u);
  EXPECT_EQ(distinct.size(), 20u) << "two writes were told the same version";
  EXPECT_EQ(*distinct.begin(), 1u);
  EXPECT_EQ(*distinct.rbegin(), 20u);
  EXPECT_EQ(get(doc)->version(), 20u);
}

TEST_F(DocumentsApiTest, BadInputGetsATypedError) {
  uint64_t player = newPlayer();
  auto unknown = set(ref(DOCUMENT_SCOPE_PLAYER, freshId(), "k"), "v");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::kNotFound);
  EXPECT_NE(unknown.error().message.find("no player"), std::string::npos) << unknown.error().message;
  EXPECT_EQ(get(ref(DOCUMENT_SCOPE_PLAYER, freshId(), "k")).error().message.find("no player"), 0u);
  EXPECT_EQ(list(DOCUMENT_SCOPE_PLAYER, freshId(), "").error().code, Errc::kNotFound);
  EXPECT_EQ(set(ref(DOCUMENT_SCOPE_PLAYER, 0, "k"), "v").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(set(ref(DOCUMENT_SCOPE_UNSPECIFIED, 5, "k"), "v").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(set(ref(static_cast<DocumentScope>(7), 5, "k"), "v").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(set(ref(DOCUMENT_SCOPE_PLAYER, player, ""), "v").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(set(ref(DOCUMENT_SCOPE_PLAYER, player, std::string(256, 'k')), "v").error().code,
            Errc::kInvalidArgument);
  EXPECT_TRUE(set(ref(DOCUMENT_SCOPE_PLAYER, player, std::string(255, 'k')), "v").ok());
  EXPECT_EQ(list(DOCUMENT_SCOPE_PLAYER, player, "", 101).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(list(DOCUMENT_SCOPE_PLAYER, player, std::string(256, 'k')).error().code, Errc::kInvalidArgument);

  auto doc = ref(DOCUMENT_SCOPE_PLAYER, player, "big");
  EXPECT_TRUE(set(doc, std::string(kMaxBytes, 'b')).ok());
  auto huge = set(doc, std::string(kMaxBytes + 1, 'b'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, Errc::kInvalidArgument);
  EXPECT_NE(huge.error().message.find("db.documents.max_bytes"), std::string::npos) << huge.error().message;
  EXPECT_EQ(get(doc)->size(), kMaxBytes) << "the refused write changed the document";
}

TEST_F(DocumentsApiTest, HostileKeysAndValuesAreStoredVerbatim) {
  uint64_t player = newPlayer();
  const std::vector<std::string> keys = {
      "'; DROP TABLE documents;--", std::string("nul\0inside", 10), "100%", "a_b", "\\", "名前🎮", "\"quoted\""};
  for (const auto& key : keys) {
    ASSERT_TRUE(set(ref(DOCUMENT_SCOPE_PLAYER, player, key), "value of " + key).ok()) << key;
  }
  for (const auto& key : keys) {
    auto got = get(ref(DOCUMENT_SCOPE_PLAYER, player, key));
    ASSERT_TRUE(got.ok()) << key;
    EXPECT_EQ(got->value(), "value of " + key);
  }
  // A prefix is bytes, never a pattern: "%" and "_" match only themselves.
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_PLAYER, player, "100%", 10), std::vector<std::string>{"100%"});
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_PLAYER, player, "a_", 10), std::vector<std::string>{"a_b"});
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_PLAYER, player, "%", 10), std::vector<std::string>{});
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_PLAYER, player, std::string("nul\0", 4), 10), std::vector<std::string>{keys[1]});
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_PLAYER, player, "", 3).size(), keys.size());
}

TEST_F(DocumentsApiTest, ListByPrefixPagesInKeyOrder) {
  uint64_t owner = freshId();
  std::vector<std::string> inside = {"inv/", "inv/axe", "inv/bow", "inv/bow/2", "inv/sword", "inv/\x7f", "inv/名"};
  std::vector<std::string> outside = {"inv", "inv0", "inu/z", "invx/a", "\xc2\x80"};
  for (const auto& key : inside) ASSERT_TRUE(set(ref(DOCUMENT_SCOPE_GAME, owner, key), key).ok()) << key;
  for (const auto& key : outside) ASSERT_TRUE(set(ref(DOCUMENT_SCOPE_GAME, owner, key), key).ok()) << key;
  ASSERT_TRUE(set(ref(DOCUMENT_SCOPE_GAME, freshId(), "inv/other-owner"), "x").ok());

  std::vector<std::string> sorted = inside;
  std::sort(sorted.begin(), sorted.end());  // byte order
  for (uint32_t limit : {1u, 2u, 3u, 100u}) {
    EXPECT_EQ(allKeys(DOCUMENT_SCOPE_GAME, owner, "inv/", limit), sorted) << "limit " << limit;
  }
  auto page = list(DOCUMENT_SCOPE_GAME, owner, "inv/", 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->documents_size(), 2);
  EXPECT_TRUE(page->more());
  EXPECT_EQ(page->documents(1).value(), page->documents(1).ref().key()) << "values come with the list";
  EXPECT_EQ(page->documents(1).size(), page->documents(1).ref().key().size());
  auto keys_only = list(DOCUMENT_SCOPE_GAME, owner, "inv/", 2, "", true);
  EXPECT_EQ(keys_only->documents(1).value(), "");
  EXPECT_EQ(keys_only->documents(1).size(), page->documents(1).ref().key().size());
  // A prefix ending in 0x7f: the range ends at 0x80, so U+0080 (c2 80) stays out.
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_GAME, owner, "inv/\x7f", 10), std::vector<std::string>{"inv/\x7f"});
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_GAME, owner, "\xc2\x80", 10), std::vector<std::string>{"\xc2\x80"});
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_GAME, owner, "inv/名", 10), std::vector<std::string>{"inv/名"});
  EXPECT_EQ(allKeys(DOCUMENT_SCOPE_GAME, owner, "", 100).size(), inside.size() + outside.size());
  auto empty = list(DOCUMENT_SCOPE_GAME, freshId(), "");
  ASSERT_TRUE(empty.ok()) << "a game owner with no documents has an empty list";
  EXPECT_EQ(empty->documents_size(), 0);
  EXPECT_FALSE(empty->more());
}

TEST_F(DocumentsApiTest, APageStopsBeforeItsValuesOutgrowAFrame) {
  uint64_t owner = freshId();
  for (int i = 0; i < 70; ++i) {  // 70 × 64 KiB = 4.4 MiB, past a page's 4 MiB of values
    char key[8];
    std::snprintf(key, sizeof key, "d%02d", i);
    ASSERT_TRUE(set(ref(DOCUMENT_SCOPE_GAME, owner, key), std::string(kMaxBytes, 'v')).ok());
  }
  auto first = list(DOCUMENT_SCOPE_GAME, owner, "", 100);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->documents_size(), 64);
  EXPECT_TRUE(first->more());
  auto rest = list(DOCUMENT_SCOPE_GAME, owner, "", 100, first->documents(63).ref().key());
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->documents_size(), 6);
  EXPECT_FALSE(rest->more());
}

}  // namespace
}  // namespace polis::db::testing
