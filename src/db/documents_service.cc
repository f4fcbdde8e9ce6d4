#include "db/documents_service.h"

#include "db/document_rows.h"
#include "db/sql.h"

namespace polis::db {
namespace {

constexpr size_t kMaxKeyBytes = 255;
constexpr size_t kMaxPage = 100;
// A List page stops early past this many value bytes, well inside an RPC frame.
constexpr size_t kMaxPageValueBytes = 4u << 20;

std::optional<Error> ownerProblem(DocumentScope scope, uint64_t owner) {
  if (scope != DOCUMENT_SCOPE_PLAYER && scope != DOCUMENT_SCOPE_GAME) {
    return Error{Errc::kInvalidArgument, "scope must be DOCUMENT_SCOPE_PLAYER or DOCUMENT_SCOPE_GAME, got " +
                                             std::to_string(static_cast<int>(scope))};
  }
  if (scope == DOCUMENT_SCOPE_PLAYER && owner == 0) {
    return Error{Errc::kInvalidArgument, "a player document's owner is a player id, not 0"};
  }
  return std::nullopt;
}

std::optional<Error> keyTooLong(const char* field, const std::string& key) {
  if (key.size() <= kMaxKeyBytes) return std::nullopt;
  return Error{Errc::kInvalidArgument, std::string(field) + " has at most " + std::to_string(kMaxKeyBytes) +
                                           " bytes (got " + std::to_string(key.size()) + ")"};
}

std::optional<Error> refProblem(const DocumentRef& ref) {
  if (auto problem = ownerProblem(ref.scope(), ref.owner())) return problem;
  if (ref.key().empty()) return Error{Errc::kInvalidArgument, "a document key must not be empty"};
  return keyTooLong("a document key", ref.key());
}

std::optional<uint64_t> expected(bool has, uint64_t version) {
  return has ? std::optional<uint64_t>(version) : std::nullopt;
}

}  // namespace

// Each job is a named local before the co_await (docs/architecture.md: GCC 12
// destroys lambda temporaries in a co_await operand twice).
Task<Result<Document>> DocumentsService::Get(Call&, const GetDocumentReq& req) {
  if (auto problem = refProblem(req.ref())) co_return *problem;
  std::function<Result<Document>(sql::Connection&)> job = [ref = req.ref()](sql::Connection& conn) {
    return selectDocument(conn, ref);
  };
  auto reading = reads_.read<Document>(std::move(job), req.allow_stale());
  auto got = co_await std::move(reading);
  co_return got;
}

Task<Result<SetDocumentAck>> DocumentsService::Set(Call&, const SetDocumentReq& req) {
  if (auto problem = refProblem(req.ref())) co_return *problem;
  if (req.value().size() > max_value_bytes_) {
    co_return Error{Errc::kInvalidArgument, "a document value has at most " + std::to_string(max_value_bytes_) +
                                                " bytes (db.documents.max_bytes), got " +
                                                std::to_string(req.value().size())};
  }
  std::function<Result<uint64_t>(sql::Connection&)> job =
      [ref = req.ref(), value = req.value(),
       version = expected(req.has_expected_version(), req.expected_version())](sql::Connection& conn) {
        return writeDocument(conn, ref, value, version, nowMs());
      };
  auto written = co_await pool_.run<uint64_t>(std::move(job));
  if (!written) co_return written.error();
  SetDocumentAck ack;
  ack.set_version(*written);
  co_return ack;
}

Task<Result<DeleteDocumentAck>> DocumentsService::Delete(Call&, const DeleteDocumentReq& req) {
  if (auto problem = refProblem(req.ref())) co_return *problem;
  std::function<Result<bool>(sql::Connection&)> job =
      [ref = req.ref(), version = expected(req.has_expected_version(), req.expected_version())](sql::Connection& conn) {
        return deleteDocument(conn, ref, version);
      };
  auto deleted = co_await pool_.run<bool>(std::move(job));
  if (!deleted) co_return deleted.error();
  DeleteDocumentAck ack;
  ack.set_existed(*deleted);
  co_return ack;
}

Task<Result<DocumentList>> DocumentsService::List(Call&, const ListDocumentsReq& req) {
  if (auto problem = ownerProblem(req.scope(), req.owner())) co_return *problem;
  if (auto problem = keyTooLong("prefix", req.prefix())) co_return *problem;
  if (auto problem = keyTooLong("after", req.after())) co_return *problem;
  if (req.limit() > kMaxPage) {
    co_return Error{Errc::kInvalidArgument, "limit is 1–" + std::to_string(kMaxPage) + " (0 means " +
                                                std::to_string(kMaxPage) + "), got " + std::to_string(req.limit())};
  }
  DocumentPage page{req.scope(), req.owner(), req.prefix(), req.after(), req.limit() ? req.limit() : kMaxPage,
                    req.keys_only(), kMaxPageValueBytes};
  std::function<Result<DocumentList>(sql::Connection&)> job = [page](sql::Connection& conn) {
    return listDocuments(conn, page);
  };
  auto reading = reads_.read<DocumentList>(std::move(job), req.allow_stale());
  auto listed = co_await std::move(reading);
  co_return listed;
}

}  // namespace polis::db
