// AccountsService: the Accounts API of proto/polis/db.proto over MariaDB.
// Every write goes to MariaDB before it is acknowledged (accounts and bans
// are durable by contract). Each request becomes one job on the worker pool.
// Threads: loop-thread only; the jobs run on pool workers.
#pragma once

#include "db/mysql_pool.h"
#include "polis/db.polis.h"

namespace polis::db {

class AccountsService final : public gen::Accounts::Service {
 public:
  explicit AccountsService(MysqlPool& pool) : pool_(pool) {}

  Task<Result<Account>> Create(Call& call, const CreateAccountReq& req) override;
  Task<Result<Account>> Find(Call& call, const FindAccountReq& req) override;
  Task<Result<Account>> SetPasswordHash(Call& call, const SetPasswordHashReq& req) override;
  Task<Result<Account>> Ban(Call& call, const BanReq& req) override;
  Task<Result<Account>> Unban(Call& call, const UnbanReq& req) override;

 private:
  using AccountJob = std::function<Result<Account>(sql::Connection&)>;
  using Binder = std::function<void(sql::PreparedStatement&)>;
  Task<Result<Account>> run(AccountJob job);
  // UPDATE accounts SET <assignments> WHERE account_id = ?, then the row.
  // `bind` sets the assignments' parameters (from 1); the id goes last.
  Task<Result<Account>> update(uint64_t account_id, std::string assignments, Binder bind);

  MysqlPool& pool_;
};

}  // namespace polis::db
