// Reads that allow a stale answer, against a real polis-db with one MariaDB
// read replica. These are steps, not independent tests:
// tests/integration/test_db_replicas.py runs them one at a time
// (--gtest_filter) and between them stops replication, stops and starts the
// replica, reads it directly and checks the db node's metrics. It passes the
// game owner id the steps share in POLIS_TEST_DOC_OWNER; without the
// variables (db_api_client.h) they skip.
#include <cstdlib>
#include <string>

#include "db_api_client.h"
#include "polis/db.polis.h"

namespace polis::db::testing {
namespace {

class ReplicaSteps : public DbApiTest {
 protected:
  void SetUp() override {
    DbApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const char* owner = std::getenv("POLIS_TEST_DOC_OWNER");
    ASSERT_NE(owner, nullptr) << "POLIS_TEST_DOC_OWNER not set (test_db_replicas.py sets it)";
    owner_ = std::strtoull(owner, nullptr, 10);
  }

  DocumentRef ref(const std::string& key) const {
    DocumentRef r;
    r.set_scope(DOCUMENT_SCOPE_GAME);
    r.set_owner(owner_);
    r.set_key(key);
    return r;
  }
  void write(const std::string& key, const std::string& value) {
    SetDocumentReq req;
    *req.mutable_ref() = ref(key);
    req.set_value(value);
    gen::Documents::Stub documents(client->channel());
    auto written = await([&] { return documents.Set(req); });
    ASSERT_TRUE(written.ok()) << written.error().describe();
  }
  Result<Document> get(const std::string& key, bool allow_stale) {
    GetDocumentReq req;
    *req.mutable_ref() = ref(key);
    req.set_allow_stale(allow_stale);
    gen::Documents::Stub documents(client->channel());
    return await([&] { return documents.Get(req); });
  }
  // The value of the one document under "news/", listed.
  std::string listed(bool allow_stale) {
    ListDocumentsReq req;
    req.set_scope(DOCUMENT_SCOPE_GAME);
    req.set_owner(owner_);
    req.set_prefix("news/1");
    req.set_allow_stale(allow_stale);
    gen::Documents::Stub documents(client->channel());
    auto list = await([&] { return documents.List(req); });
    EXPECT_TRUE(list.ok()) << list.error().describe();
    if (!list.ok() || list->documents_size() != 1) return "<not one document>";
    return list->documents(0).value();
  }
  std::string value(const Result<Document>& d) { return d.ok() ? d->value() : "<" + d.error().describe() + ">"; }

  uint64_t owner_ = 0;
};

// Step 1 (replication running): the first version, read back from the primary.
TEST_F(ReplicaSteps, WriteTheFirstVersion) {
  write("news/1", "first");
  EXPECT_EQ(value(get("news/1", false)), "first");
}

// Step 2 (the replica's replication stopped): writes still go to the
// primary; stale reads come from the replica, which still has the first
// version and not the new document. Three stale reads.
TEST_F(ReplicaSteps, StaleReadsComeFromTheStoppedReplica) {
  write("news/1", "second");
  write("news/2", "new");
  EXPECT_EQ(value(get("news/1", false)), "second");
  EXPECT_EQ(listed(false), "second");
  auto stale = get("news/1", true);
  EXPECT_EQ(value(stale), "first") << "an allow_stale read was not served by the replica";
  if (stale.ok()) {
    EXPECT_EQ(stale->version(), 1u);
  }
  EXPECT_EQ(listed(true), "first");
  auto missing = get("news/2", true);
  ASSERT_FALSE(missing.ok()) << "the replica has a document written after its replication stopped";
  EXPECT_EQ(missing.error().code, Errc::kNotFound) << missing.error().describe();
  EXPECT_EQ(value(get("news/2", false)), "new");
}

// Step 3 (the replica's server stopped): stale reads fall back to the
// primary and see its latest write. Ten Gets and one List.
TEST_F(ReplicaSteps, StaleReadsFallBackToThePrimaryWhileTheReplicaIsDown) {
  write("news/1", "third");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(value(get("news/1", true)), "third") << "stale read " << i;
  EXPECT_EQ(listed(true), "third");
}

// Step 4 (the replica back and caught up): one stale read, from the replica.
TEST_F(ReplicaSteps, StaleReadsSeeTheReplicaOnceItCaughtUp) {
  EXPECT_EQ(value(get("news/1", true)), "third");
}

}  // namespace
}  // namespace polis::db::testing
