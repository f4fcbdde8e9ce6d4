#include "db/replica_reads.h"

#include "base/log.h"
#include "base/log_throttle.h"

namespace polis::db {

ReplicaReads::ReplicaReads(EventLoop& loop, MysqlPool& primary, const MysqlConfig& config)
    : primary_(primary),
      fallbacks_(metrics::Registry::global().counter(
          "polis_db_mysql_replica_fallbacks_total",
          "Reads that allowed a stale answer but were served by the primary: no replica connected, or it failed.")) {
  for (const auto& endpoint : config.replicas) {
    MysqlConfig one = config;
    one.host = endpoint.host;
    one.port = endpoint.port;
    one.workers = config.replica_workers;
    one.replicas.clear();
    auto pool = std::make_unique<MysqlPool>(loop, std::move(one), MysqlTarget::kReplica);
    auto& served = metrics::Registry::global().counter(
        "polis_db_mysql_replica_reads_total", "Reads served by a read replica.", {{"replica", pool->address()}});
    replicas_.push_back(Replica{std::move(pool), &served});
  }
}

ReplicaReads::~ReplicaReads() = default;

ReplicaReads::Replica* ReplicaReads::pick() {
  for (size_t tried = 0; tried < replicas_.size(); ++tried) {
    Replica& r = replicas_[next_++ % replicas_.size()];
    if (r.pool->connectedWorkers() > 0) return &r;
  }
  return nullptr;
}

void ReplicaReads::noteFailure(const Replica& replica, const Error& error) {
  const std::string& address = replica.pool->address();
  if (auto note = log::throttle("replica read " + address)) {
    log::warn("read replica {} could not answer a read ({}); asked the primary{}", address, error.describe(),
              *note);
  }
}

}  // namespace polis::db
