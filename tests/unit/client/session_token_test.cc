#include "client/session_token.h"

#include <gtest/gtest.h>

#include "base/base64url.h"
#include "base/config.h"

namespace polis::client {
namespace {

const std::string kOld = "old-key-0123456789abcdef0123456789abcdef";
const std::string kNew = "new-key-0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'800'000'000;

SessionKeys keys(std::vector<std::string> list) {
  auto made = SessionKeys::make(std::move(list));
  EXPECT_TRUE(made) << made.error().message;
  return std::move(*made);
}

std::string signedToken(const SessionKeys& k, const SessionClaims& c) {
  auto token = k.sign(c);
  EXPECT_TRUE(token) << token.error().message;
  return *token;
}

TEST(SessionToken, WhatIsSignedIsWhatVerifies) {
  auto k = keys({kNew});
  auto claims = newClaims(0xfedcba9876543210ULL, "eu-1", kNow + 3600);
  auto token = signedToken(k, claims);
  EXPECT_LE(token.size(), kMaxTokenChars);
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos) << "URL- and JSON-safe: " << token;
  auto check = k.verify(token, "eu-1", kNow);
  ASSERT_TRUE(check);
  EXPECT_EQ(*check.claims, claims);
  // The nonce makes every token unique, even for the same player and expiry.
  auto again = newClaims(claims.player_id, claims.zone, claims.expires_at);
  EXPECT_NE(again.nonce, claims.nonce);
  EXPECT_NE(signedToken(k, again), token);
}

TEST(SessionToken, ATokenMadeByAnotherImplementationOfTheLayoutVerifies) {
  // Made with Python's hmac and base64 modules from the layout in
  // session_token.h (tests/fuzz/seeds.py, token(42, 1_900_000_000, b"eu-1")).
  const std::string python_token =
      "AQAAAAAAAAAqAAAAAHE_swAEZXUtMQEBAQEBAQEBAQEBAQEBAQGOQMUl1B3RAvEbnAcm2Iq6txg-ObHpnp-7yqgvgJPHwQ";
  auto k = keys({"fuzz-key-0123456789abcdef0123456789"});
  auto check = k.verify(python_token, "eu-1", kNow);
  ASSERT_TRUE(check) << tokenProblemCode(check.problem);
  EXPECT_EQ(check.claims->player_id, 42u);
  EXPECT_EQ(check.claims->expires_at, 1'900'000'000);
  EXPECT_EQ(check.claims->nonce, (std::array<uint8_t, 16>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(signedToken(k, *check.claims), python_token) << "and we make the same bytes";
}

TEST(SessionToken, NoAlteredByteOrBitPassesAndNothingUnsignedIsTrusted) {
  auto k = keys({kNew});
  auto raw = *base64url::decode(signedToken(k, newClaims(42, "eu-1", kNow + 60)));
  for (size_t byte = 0; byte < raw.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string altered = raw;
      altered[byte] = static_cast<char>(altered[byte] ^ (1 << bit));
      auto check = k.verify(base64url::encode(altered), "eu-1", kNow);
      ASSERT_FALSE(check) << "byte " << byte << " bit " << bit;
      // An expiry or zone edited by hand is a bad signature, not "expired": the claims were not read.
      EXPECT_TRUE(check.problem == TokenProblem::kBadSignature || check.problem == TokenProblem::kMalformed);
    }
  }
  // Another key's token, truncated tokens, and one with bytes appended.
  auto other = keys({kOld});
  EXPECT_EQ(k.verify(signedToken(other, newClaims(42, "eu-1", kNow + 60)), "eu-1", kNow).problem,
            TokenProblem::kBadSignature);
  for (size_t cut = 0; cut < raw.size(); ++cut) {
    EXPECT_FALSE(k.verify(base64url::encode(raw.substr(0, cut)), "eu-1", kNow)) << cut;
  }
  EXPECT_EQ(k.verify(base64url::encode(raw + "x"), "eu-1", kNow).problem, TokenProblem::kMalformed);
}

TEST(SessionToken, ExpiredAndOtherZoneTokensAreRefusedWithTheirCodes) {
  auto k = keys({kNew});
  auto token = signedToken(k, newClaims(7, "eu-1", kNow + 10));
  EXPECT_TRUE(k.verify(token, "eu-1", kNow + 9));
  auto expired = k.verify(token, "eu-1", kNow + 10);
  EXPECT_EQ(expired.problem, TokenProblem::kExpired);
  EXPECT_EQ(tokenProblemCode(expired.problem), "token_expired");
  auto elsewhere = k.verify(token, "us-1", kNow);
  EXPECT_EQ(elsewhere.problem, TokenProblem::kWrongZone);
  EXPECT_EQ(tokenProblemCode(elsewhere.problem), "token_wrong_zone");
}

TEST(SessionToken, ARotationAcceptsOldTokensUntilTheOldKeyIsDropped) {
  auto before = keys({kOld});
  auto during = keys({kNew, kOld});
  auto after = keys({kNew});
  auto old_token = signedToken(before, newClaims(1, "z", kNow + 60));
  auto new_token = signedToken(during, newClaims(1, "z", kNow + 60));
  EXPECT_TRUE(during.verify(old_token, "z", kNow));
  EXPECT_TRUE(during.verify(new_token, "z", kNow));
  EXPECT_TRUE(after.verify(new_token, "z", kNow)) << "the first key signs";
  EXPECT_FALSE(before.verify(new_token, "z", kNow));
  EXPECT_EQ(after.verify(old_token, "z", kNow).problem, TokenProblem::kBadSignature);
}

TEST(SessionToken, GarbageIsMalformed) {
  auto k = keys({kNew});
  for (std::string bad : {std::string(), std::string("not a token"), std::string("AAAA"), std::string(300, 'A'),
                          std::string("Zm9vYmFy=="), base64url::encode(std::string(200, '\0'))}) {
    auto check = k.verify(bad, "z", kNow);
    EXPECT_FALSE(check) << bad;
    EXPECT_EQ(check.problem, TokenProblem::kMalformed) << bad;
  }
  // A version other than 1, even with a good tag, is not this format.
  auto raw = *base64url::decode(signedToken(k, newClaims(1, "z", kNow + 60)));
  raw[0] = 2;
  EXPECT_EQ(k.verify(base64url::encode(raw), "z", kNow).problem, TokenProblem::kMalformed);
}

TEST(SessionToken, KeysAndZonesAreChecked) {
  EXPECT_FALSE(SessionKeys::make({}));
  EXPECT_FALSE(SessionKeys::make({"short"}));
  EXPECT_FALSE(SessionKeys::make({kNew, "short"}));
  EXPECT_FALSE(SessionKeys::make(std::vector<std::string>(kMaxKeys + 1, kNew)));
  auto k = keys({kNew});
  for (std::string zone : {std::string(), std::string(65, 'z'), std::string("eu 1"), std::string("é")}) {
    EXPECT_FALSE(k.sign(newClaims(1, zone, kNow))) << zone;
  }
  EXPECT_TRUE(k.sign(newClaims(1, std::string(64, 'z'), kNow)));

  auto config = ConfigReader::fromString("session: {keys: [short]}", Environment{}, "<test>");
  ASSERT_TRUE(config);
  EXPECT_FALSE(SessionKeys::read(*config, "session.keys"));
  auto finished = config->finish();
  ASSERT_FALSE(finished);
  EXPECT_NE(finished.error().message.find("session.keys"), std::string::npos) << finished.error().message;
  auto good = ConfigReader::fromString("session: {keys: [" + kNew + ", " + kOld + "]}", Environment{}, "<test>");
  ASSERT_TRUE(good);
  auto read = SessionKeys::read(*good, "session.keys");
  ASSERT_TRUE(read);
  EXPECT_TRUE(good->finish());
  EXPECT_TRUE(read->verify(signedToken(keys({kOld}), newClaims(1, "z", kNow + 1)), "z", kNow));
}

}  // namespace
}  // namespace polis::client
