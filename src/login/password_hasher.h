// PasswordHasher: Argon2id password hashes (libsodium's crypto_pwhash_str,
// the encoded form that carries its own salt and costs) computed and checked
// on a worker pool, never on the event loop, behind a bounded queue: when it
// is full a call fails at once with kUnavailable, which the login node answers
// as 429 — a flood of logins is refused, not queued without end.
//
// Costs: `ops_limit` passes over `mem_limit` bytes of memory per hash
// (libsodium's "interactive" preset by default). A stored hash made with
// other costs still verifies; needsRehash() says when to store a fresh one.
// Threads: the loop thread (the work itself runs on the pool's threads).
#pragma once

#include <cstddef>
#include <string>

#include "base/task.h"
#include "base/worker_pool.h"

namespace polis::login {

struct PasswordCosts {
  unsigned long long ops_limit = 2;  // crypto_pwhash_OPSLIMIT_INTERACTIVE
  size_t mem_limit = 64 << 20;       // crypto_pwhash_MEMLIMIT_INTERACTIVE
  size_t workers = 2;
  size_t max_queue = 64;
};

class PasswordHasher {
 public:
  PasswordHasher(EventLoop& loop, PasswordCosts costs);

  // The encoded Argon2id hash of `password` ("$argon2id$v=19$m=…").
  Task<Result<std::string>> hash(std::string password);
  // Whether `password` matches `stored` (false for a wrong password and for a
  // stored value that is not an Argon2id hash).
  Task<Result<bool>> verify(std::string password, std::string stored);
  // Whether `stored` was made with other costs than the configured ones.
  bool needsRehash(const std::string& stored) const;

 private:
  PasswordCosts costs_;
  WorkerPool pool_;
};

}  // namespace polis::login
