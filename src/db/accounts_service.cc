#include "db/accounts_service.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <chrono>
#include <algorithm>
#include <memory>

#include "db/login_name.h"
#include "db/sql.h"

namespace polis::db {
namespace {

constexpr size_t kMaxSecretBytes = 1024;  // password hash, ban reason
constexpr const char* kColumns = "account_id, name, password_hash, banned_until, ban_reason, created_at";

std::string text(const sql::SQLString& s) { return s.asStdString(); }

Account rowToAccount(sql::ResultSet& row) {
  Account a;
  a.set_account_id(row.getUInt64(1));
  a.set_name(text(row.getString(2)));
  a.set_password_hash(text(row.getString(3)));
  a.set_banned_until_ms(row.getInt64(4));
  a.set_ban_reason(text(row.getString(5)));
  a.set_created_at_ms(row.getInt64(6));
  return a;
}

// The account row for `where` (a condition with one parameter bound by `bind`).
Result<Account> selectAccount(sql::Connection& conn, const std::string& where,
                              const std::function<void(sql::PreparedStatement&)>& bind, const std::string& what) {
  auto st = prepare(conn, std::string("SELECT ") + kColumns + " FROM accounts WHERE " + where);
  bind(*st);
  std::unique_ptr<sql::ResultSet> row(st->executeQuery());
  if (!row->next()) return Error{Errc::kNotFound, "no account " + what};
  return rowToAccount(*row);
}

Result<Account> accountById(sql::Connection& conn, uint64_t id) {
  return selectAccount(conn, "account_id = ?", [id](sql::PreparedStatement& st) { st.setUInt64(1, id); },
                       "with id " + std::to_string(id));
}

std::optional<Error> tooLong(const std::string& field, const std::string& value) {
  if (value.size() <= kMaxSecretBytes) return std::nullopt;
  return Error{Errc::kInvalidArgument, field + " has at most " + std::to_string(kMaxSecretBytes) + " bytes"};
}

}  // namespace

// One pool job as its own coroutine. Every job and binder below is a named
// local before it goes into a co_await: GCC 12 destroys a lambda temporary
// built inside a `co_await` operand twice (AddressSanitizer caught the double
// free), so such temporaries are never written here.
Task<Result<Account>> AccountsService::run(AccountJob job) {
  auto result = co_await pool_.run<Account>(std::move(job));
  co_return result;
}

Task<Result<Account>> AccountsService::Create(Call&, const CreateAccountReq& req) {
  if (auto problem = loginNameProblem(req.name())) co_return Error{Errc::kInvalidArgument, *problem};
  if (auto error = tooLong("password_hash", req.password_hash())) co_return *error;
  Account account;
  account.set_name(req.name());
  account.set_password_hash(req.password_hash());
  account.set_created_at_ms(nowMs());
  AccountJob job = [account](sql::Connection& conn) mutable -> Result<Account> {
    auto insert = prepare(conn, "INSERT INTO accounts (name, name_folded, password_hash, created_at) VALUES (?, ?, ?, ?)");
    insert->setString(1, account.name());
    insert->setString(2, foldLoginName(account.name()));
    insert->setString(3, account.password_hash());
    insert->setInt64(4, account.created_at_ms());
    try {
      insert->executeUpdate();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() == 1062) {  // the unique key on the folded name
        return Error{Errc::kAlreadyExists, "the login name \"" + account.name() + "\" is taken"};
      }
      throw;
    }
    auto id = prepare(conn, "SELECT LAST_INSERT_ID()");
    std::unique_ptr<sql::ResultSet> row(id->executeQuery());
    row->next();
    account.set_account_id(row->getUInt64(1));
    return account;
  };
  co_return co_await run(std::move(job));
}

Task<Result<Account>> AccountsService::Find(Call&, const FindAccountReq& req) {
  if (req.key_case() == FindAccountReq::kAccountId) {
    uint64_t id = req.account_id();
    AccountJob job = [id](sql::Connection& conn) { return accountById(conn, id); };
    co_return co_await run(std::move(job));
  }
  if (req.key_case() != FindAccountReq::kName) co_return Error{Errc::kInvalidArgument, "give a name or an account_id"};
  if (auto problem = loginNameProblem(req.name())) co_return Error{Errc::kInvalidArgument, *problem};
  std::string name = req.name();
  AccountJob job = [name](sql::Connection& conn) {
    std::string folded = foldLoginName(name);
    return selectAccount(conn, "name_folded = ?", [&](sql::PreparedStatement& st) { st.setString(1, folded); },
                         "named \"" + name + "\"");
  };
  co_return co_await run(std::move(job));
}

Task<Result<Account>> AccountsService::update(uint64_t account_id, std::string assignments, Binder bind) {
  if (account_id == 0) co_return Error{Errc::kInvalidArgument, "account_id must not be 0"};
  AccountJob job = [=](sql::Connection& conn) -> Result<Account> {
    auto st = prepare(conn, "UPDATE accounts SET " + assignments + " WHERE account_id = ?");
    bind(*st);
    st->setUInt64(static_cast<unsigned>(std::count(assignments.begin(), assignments.end(), '?') + 1), account_id);
    st->executeUpdate();
    return accountById(conn, account_id);  // not_found when there is no such account
  };
  co_return co_await run(std::move(job));
}

Task<Result<Account>> AccountsService::SetPasswordHash(Call&, const SetPasswordHashReq& req) {
  if (auto error = tooLong("password_hash", req.password_hash())) co_return *error;
  std::string hash = req.password_hash();
  Binder bind = [hash](sql::PreparedStatement& st) { st.setString(1, hash); };
  co_return co_await update(req.account_id(), "password_hash = ?", std::move(bind));
}

Task<Result<Account>> AccountsService::Ban(Call&, const BanReq& req) {
  if (req.until_ms() <= 0) co_return Error{Errc::kInvalidArgument, "until_ms must be a time after 1970 (> 0)"};
  if (auto error = tooLong("reason", req.reason())) co_return *error;
  int64_t until = req.until_ms();
  std::string reason = req.reason();
  Binder bind = [until, reason](sql::PreparedStatement& st) {
    st.setInt64(1, until);
    st.setString(2, reason);
  };
  co_return co_await update(req.account_id(), "banned_until = ?, ban_reason = ?", std::move(bind));
}

Task<Result<Account>> AccountsService::Unban(Call&, const UnbanReq& req) {
  Binder bind = [](sql::PreparedStatement&) {};
  co_return co_await update(req.account_id(), "banned_until = 0, ban_reason = ''", std::move(bind));
}

}  // namespace polis::db
