// DocumentsService: the Documents API of proto/polis/db.proto over MariaDB.
// Writes are durable (acknowledged once MariaDB has them); each request is
// checked here, then runs as one job on the worker pool. A Get or List that
// allows a stale answer may be served by a read replica (ReplicaReads);
// writes, and the reads inside them, always run on the primary.
// Threads: loop-thread only; the jobs run on pool workers.
#pragma once

#include "db/mysql_pool.h"
#include "db/replica_reads.h"
#include "polis/db.polis.h"

namespace polis::db {

class DocumentsService final : public gen::Documents::Service {
 public:
  DocumentsService(MysqlPool& pool, ReplicaReads& reads, size_t max_value_bytes)
      : pool_(pool), reads_(reads), max_value_bytes_(max_value_bytes) {}

  Task<Result<Document>> Get(Call& call, const GetDocumentReq& req) override;
  Task<Result<SetDocumentAck>> Set(Call& call, const SetDocumentReq& req) override;
  Task<Result<DeleteDocumentAck>> Delete(Call& call, const DeleteDocumentReq& req) override;
  Task<Result<DocumentList>> List(Call& call, const ListDocumentsReq& req) override;

 private:
  MysqlPool& pool_;
  ReplicaReads& reads_;
  size_t max_value_bytes_;
};

}  // namespace polis::db
