#include "login/password_hasher.h"

#include <sodium.h>

#include <functional>
#include <stdexcept>

namespace polis::login {

PasswordHasher::PasswordHasher(EventLoop& loop, PasswordCosts costs)
    : costs_(costs), pool_(loop, "password_hasher", costs.workers, costs.max_queue) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not initialise");
}

// The work is built as a named local, not inside the co_await expression:
// GCC 12 destroys some temporaries of a co_await expression twice when the
// awaiter suspends (docs/architecture.md).
Task<Result<std::string>> PasswordHasher::hash(std::string password) {
  std::function<Result<std::string>()> work = [password = std::move(password), costs = costs_]() -> Result<std::string> {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), costs.ops_limit, costs.mem_limit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return Error{Errc::kInternal, "Argon2id ran out of memory"};
    }
    return std::string(out);
  };
  auto pending = pool_.run<std::string>(std::move(work));
  co_return co_await std::move(pending);
}

Task<Result<bool>> PasswordHasher::verify(std::string password, std::string stored) {
  std::function<Result<bool>()> work = [password = std::move(password), stored = std::move(stored)]() -> Result<bool> {
    if (stored.size() >= crypto_pwhash_STRBYTES || stored.rfind("$argon2id$", 0) != 0) return false;
    return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
  };
  auto pending = pool_.run<bool>(std::move(work));
  co_return co_await std::move(pending);
}

bool PasswordHasher::needsRehash(const std::string& stored) const {
  if (stored.size() >= crypto_pwhash_STRBYTES) return true;
  return crypto_pwhash_str_needs_rehash(stored.c_str(), costs_.ops_limit, costs_.mem_limit) != 0;
}

}  // namespace polis::login
