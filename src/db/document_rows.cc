#include "db/document_rows.h"

#include "db/sql.h"

namespace polis::db {
namespace {

constexpr const char* kWhereRef = " WHERE scope = ? AND owner = ? AND doc_key = ?";

void bindRef(sql::PreparedStatement& st, unsigned first, const DocumentRef& ref) {
  st.setUInt(first, static_cast<uint32_t>(ref.scope()));
  st.setUInt64(first + 1, ref.owner());
  st.setString(first + 2, ref.key());
}

std::string describe(const DocumentRef& ref) {
  return std::string(ref.scope() == DOCUMENT_SCOPE_PLAYER ? "player " : "game ") + std::to_string(ref.owner()) +
         " has no document \"" + ref.key() + "\"";
}

// not_found when a player scope's owner is not a player (every created
// player is in MariaDB: creates are durable).
std::optional<Error> unknownPlayer(sql::Connection& conn, DocumentScope scope, uint64_t owner) {
  if (scope != DOCUMENT_SCOPE_PLAYER) return std::nullopt;
  auto st = prepare(conn, "SELECT 1 FROM players WHERE player_id = ?");
  st->setUInt64(1, owner);
  std::unique_ptr<sql::ResultSet> row(st->executeQuery());
  if (row->next()) return std::nullopt;
  return Error{Errc::kNotFound, "no player " + std::to_string(owner)};
}

Error conflict(const DocumentRef& ref, const Document& current, uint64_t expected) {
  std::string wanted = expected == 0 ? "absent" : "at version " + std::to_string(expected);
  return Error{Errc::kVersionConflict, "document \"" + ref.key() + "\" is at version " +
                                           std::to_string(current.version()) + ", not " + wanted +
                                           ": reload and retry"};
}

}  // namespace

Result<Document> selectDocument(sql::Connection& conn, const DocumentRef& ref) {
  auto st = prepare(conn, std::string("SELECT version, value, updated_at FROM documents") + kWhereRef);
  bindRef(*st, 1, ref);
  std::unique_ptr<sql::ResultSet> row(st->executeQuery());
  if (!row->next()) return unknownPlayer(conn, ref.scope(), ref.owner()).value_or(Error{Errc::kNotFound, describe(ref)});
  Document d;
  *d.mutable_ref() = ref;
  d.set_version(row->getUInt64(1));
  d.set_value(row->getString(2).asStdString());
  d.set_updated_at_ms(row->getInt64(3));
  d.set_size(static_cast<uint32_t>(d.value().size()));
  return d;
}

Result<uint64_t> writeDocument(sql::Connection& conn, const DocumentRef& ref, const std::string& value,
                               std::optional<uint64_t> expected_version, int64_t now_ms) {
  if (auto unknown = unknownPlayer(conn, ref.scope(), ref.owner())) return *unknown;
  if (expected_version && *expected_version > 0) {
    auto st = prepare(conn, std::string("UPDATE documents SET value = ?, updated_at = ?, version = version + 1") +
                                kWhereRef + " AND version = ?");
    st->setString(1, value);
    st->setInt64(2, now_ms);
    bindRef(*st, 3, ref);
    st->setUInt64(6, *expected_version);
    if (st->executeUpdate() == 1) return *expected_version + 1;
    auto current = selectDocument(conn, ref);
    if (!current) return current.error();
    return conflict(ref, *current, *expected_version);
  }
  // A new document starts at version 1. Without an expected version an
  // existing one is replaced; LAST_INSERT_ID(expr) hands the version written
  // back on this connection, whichever branch ran.
  std::string statement =
      "INSERT INTO documents (scope, owner, doc_key, version, value, updated_at) VALUES (?, ?, ?, LAST_INSERT_ID(1), ?, ?)";
  if (!expected_version) {
    statement += " ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at),"
                 " version = LAST_INSERT_ID(version + 1)";
  }
  auto st = prepare(conn, statement);
  bindRef(*st, 1, ref);
  st->setString(4, value);
  st->setInt64(5, now_ms);
  try {
    st->executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != 1062) throw;  // a duplicate key: it exists, and 0 wanted it absent
    auto current = selectDocument(conn, ref);
    if (!current) return current.error();
    return conflict(ref, *current, 0);
  }
  auto id = prepare(conn, "SELECT LAST_INSERT_ID()");
  std::unique_ptr<sql::ResultSet> row(id->executeQuery());
  row->next();
  return row->getUInt64(1);
}

Result<bool> deleteDocument(sql::Connection& conn, const DocumentRef& ref, std::optional<uint64_t> expected_version) {
  auto st = prepare(conn, std::string("DELETE FROM documents") + kWhereRef + (expected_version ? " AND version = ?" : ""));
  bindRef(*st, 1, ref);
  if (expected_version) st->setUInt64(4, *expected_version);
  if (st->executeUpdate() == 1) return true;
  if (!expected_version) return false;
  auto current = selectDocument(conn, ref);
  if (!current) return current.error();
  return conflict(ref, *current, *expected_version);
}

Result<DocumentList> listDocuments(sql::Connection& conn, const DocumentPage& page) {
  auto end = prefixEnd(page.prefix);
  std::string statement = std::string("SELECT doc_key, version, ") + (page.keys_only ? "''" : "value") +
                          ", updated_at, LENGTH(value) FROM documents WHERE scope = ? AND owner = ?"
                          " AND doc_key >= ? AND doc_key > ?" +
                          (end ? " AND doc_key < ?" : "") + " ORDER BY doc_key LIMIT ?";
  auto st = prepare(conn, statement);
  st->setUInt(1, static_cast<uint32_t>(page.scope));
  st->setUInt64(2, page.owner);
  st->setString(3, page.prefix);
  st->setString(4, page.after);
  unsigned next = 5;
  if (end) st->setString(next++, *end);
  st->setUInt64(next, page.limit + 1);  // one more than asked: is there another page?
  std::unique_ptr<sql::ResultSet> rows(st->executeQuery());
  DocumentList list;
  size_t value_bytes = 0;
  while (rows->next()) {
    if (static_cast<size_t>(list.documents_size()) == page.limit || (list.documents_size() > 0 && value_bytes >= page.max_value_bytes)) {
      list.set_more(true);
      break;
    }
    Document* d = list.add_documents();
    d->mutable_ref()->set_scope(page.scope);
    d->mutable_ref()->set_owner(page.owner);
    d->mutable_ref()->set_key(rows->getString(1).asStdString());
    d->set_version(rows->getUInt64(2));
    d->set_value(rows->getString(3).asStdString());
    d->set_updated_at_ms(rows->getInt64(4));
    d->set_size(static_cast<uint32_t>(rows->getUInt64(5)));
    value_bytes += d->value().size();
  }
  if (list.documents_size() == 0) {
    if (auto unknown = unknownPlayer(conn, page.scope, page.owner)) return *unknown;  // not merely no documents
  }
  return list;
}

std::optional<std::string> prefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

}  // namespace polis::db
