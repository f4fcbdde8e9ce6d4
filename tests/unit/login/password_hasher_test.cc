#include "login/password_hasher.h"

#include <gtest/gtest.h>

#include "base/run_until.h"

namespace polis::login {
namespace {

using namespace std::chrono_literals;

// Cheap costs keep the tests fast; libsodium's minimum memory is 8 KiB.
constexpr PasswordCosts kCheap{1, 8192, 2, 16};

template <class T>
Result<T> await(EventLoop& loop, Task<Result<T>> task) {
  Result<T> out = Error{Errc::kInternal, "did not finish"};
  bool done = false;
  auto body = [&]() -> Task<void> {
    out = co_await std::move(task);
    done = true;
  };
  spawn(body());
  EXPECT_TRUE(runLoopUntil(loop, [&] { return done; }, 20s));
  return out;
}

TEST(PasswordHasher, Argon2idHashesVerifyTheirPasswordOnlyAndCarryTheirCosts) {
  EventLoop loop;
  PasswordHasher hasher(loop, kCheap);
  auto a = await(loop, hasher.hash(std::string("correct horse\0battery", 21)));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->rfind("$argon2id$v=19$m=8,t=1,p=1$", 0), 0u) << *a;
  auto b = await(loop, hasher.hash(std::string("correct horse\0battery", 21)));
  EXPECT_NE(*a, *b) << "a fresh salt each time";
  EXPECT_TRUE(*await(loop, hasher.verify(std::string("correct horse\0battery", 21), *a)));
  EXPECT_FALSE(*await(loop, hasher.verify("correct horse", *a))) << "the bytes after a NUL count";
  EXPECT_FALSE(*await(loop, hasher.verify("", *a)));
  for (std::string stored : {std::string(), std::string("plaintext"), std::string("$argon2i$v=19$m=8,t=1,p=1$x$y"),
                             std::string(500, '$')}) {
    auto r = await(loop, hasher.verify("x", stored));
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r) << stored;
  }
  EXPECT_FALSE(hasher.needsRehash(*a));
  PasswordHasher stronger(loop, PasswordCosts{2, 16384, 1, 4});
  EXPECT_TRUE(stronger.needsRehash(*a));
  EXPECT_TRUE(*await(loop, stronger.verify(std::string("correct horse\0battery", 21), *a)))
      << "an older hash still verifies";
}

TEST(PasswordHasher, TheLoopKeepsTurningWhileItHashesAndAFloodIsRefused) {
  EventLoop loop;
  // Costs that take tens of milliseconds per hash, one worker, two waiting at most.
  PasswordHasher hasher(loop, PasswordCosts{3, 32 << 20, 1, 2});
  int ticks = 0;
  TimerId ticker = loop.runEvery(2ms, [&] { ++ticks; });
  std::vector<Result<std::string>> results;
  auto one = [&](std::string pw) -> Task<void> {
    auto pending = hasher.hash(std::move(pw));
    results.push_back(co_await std::move(pending));
  };
  for (int i = 0; i < 10; ++i) spawn(one("pw" + std::to_string(i)));
  ASSERT_TRUE(runLoopUntil(loop, [&] { return results.size() == 10; }, 60s));
  loop.cancel(ticker);
  int hashed = 0, refused = 0;
  for (const auto& r : results) {
    if (r) {
      ++hashed;
    } else {
      ++refused;
      EXPECT_EQ(r.error().code, Errc::kUnavailable);
      EXPECT_NE(r.error().message.find("busy"), std::string::npos);
    }
  }
  // One running and up to two waiting when the flood came: the rest refused at once.
  EXPECT_GE(hashed, 2);
  EXPECT_LE(hashed, 3);
  EXPECT_EQ(hashed + refused, 10);
  EXPECT_GE(ticks, 10) << "the loop ran its timer while the hashes were computed";
}

}  // namespace
}  // namespace polis::login
