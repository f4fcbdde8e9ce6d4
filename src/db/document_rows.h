// The documents table in MariaDB (blocking: pool workers only). Requests are
// checked by DocumentsService before they get here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <cppconn/connection.h>

#include "base/result.h"
#include "polis/db.pb.h"

namespace polis::db {

// The document, or not_found (naming the player when a player scope's owner
// does not exist).
Result<Document> selectDocument(sql::Connection& conn, const DocumentRef& ref);

// Writes `value` (see SetDocumentReq for `expected_version`); returns the new
// version, or version_conflict / not_found.
Result<uint64_t> writeDocument(sql::Connection& conn, const DocumentRef& ref, const std::string& value,
                               std::optional<uint64_t> expected_version, int64_t now_ms);

// Returns whether it existed; with an expected version, version_conflict or
// not_found instead of deleting something else.
Result<bool> deleteDocument(sql::Connection& conn, const DocumentRef& ref, std::optional<uint64_t> expected_version);

struct DocumentPage {
  DocumentScope scope;
  uint64_t owner;
  std::string prefix;
  std::string after;
  size_t limit;
  bool keys_only;
  size_t max_value_bytes;  // the page ends early once its values hold this much
};
Result<DocumentList> listDocuments(sql::Connection& conn, const DocumentPage& page);

// The smallest string greater than every string starting with `prefix`, or
// nullopt when there is none (empty, or all 0xff bytes).
std::optional<std::string> prefixEnd(std::string prefix);

}  // namespace polis::db
