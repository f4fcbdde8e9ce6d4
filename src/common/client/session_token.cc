#include "client/session_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "base/base64url.h"
#include "base/config.h"
#include "net/frame_codec.h"

namespace polis::client {

namespace {

constexpr uint8_t kVersion = 1;
constexpr std::string_view kDomain = "polis/session/1";  // so no other HMAC of ours can pass for a token
constexpr size_t kTagBytes = 32;
constexpr size_t kFixedBytes = 1 + 8 + 8 + 1 + 16;  // everything but the zone and the tag

bool validZone(std::string_view zone) {
  if (zone.empty() || zone.size() > kMaxZoneBytes) return false;
  for (unsigned char c : zone) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

std::array<unsigned char, kTagBytes> tagOf(const std::string& key, std::string_view body) {
  std::string input(kDomain);
  input += body;
  std::array<unsigned char, kTagBytes> tag{};
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
            input.size(), tag.data(), &size) ||
      size != kTagBytes) {
    throw std::runtime_error("HMAC-SHA256 failed");  // OpenSSL out of memory: nothing sensible to sign with
  }
  return tag;
}

}  // namespace

std::string_view tokenProblemCode(TokenProblem problem) {
  switch (problem) {
    case TokenProblem::kMalformed: return "token_malformed";
    case TokenProblem::kBadSignature: return "token_invalid";
    case TokenProblem::kExpired: return "token_expired";
    case TokenProblem::kWrongZone: return "token_wrong_zone";
  }
  return "token_malformed";
}

SessionClaims newClaims(uint64_t player_id, std::string zone, int64_t expires_at) {
  SessionClaims c{player_id, std::move(zone), expires_at, {}};
  if (RAND_bytes(c.nonce.data(), static_cast<int>(c.nonce.size())) != 1) {
    throw std::runtime_error("no randomness for a token nonce");
  }
  return c;
}

Result<SessionKeys> SessionKeys::make(std::vector<std::string> keys) {
  if (keys.empty() || keys.size() > kMaxKeys) {
    return Error{Errc::kInvalidArgument, "1 to " + std::to_string(kMaxKeys) + " keys, the signing key first"};
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].size() < kMinKeyBytes) {
      return Error{Errc::kInvalidArgument, "key " + std::to_string(i + 1) + " has " + std::to_string(keys[i].size()) +
                                               " bytes; at least " + std::to_string(kMinKeyBytes) + " are needed"};
    }
  }
  return SessionKeys(std::move(keys));
}

std::optional<SessionKeys> SessionKeys::read(ConfigReader& reader, std::string_view key) {
  auto keys = reader.strList(key, {});
  auto made = make(keys);
  if (!made) {
    reader.reject(key, "a list of 1-" + std::to_string(kMaxKeys) + " keys of " + std::to_string(kMinKeyBytes) +
                           "+ bytes, the signing key first",
                  made.error().message);
    return std::nullopt;
  }
  return std::move(*made);
}

Result<std::string> SessionKeys::sign(const SessionClaims& claims) const {
  if (!validZone(claims.zone)) {
    return Error{Errc::kInvalidArgument, "a zone is 1-64 characters of A-Z a-z 0-9 _ . -"};
  }
  std::string body(kFixedBytes + claims.zone.size(), '\0');
  auto* p = reinterpret_cast<unsigned char*>(body.data());
  p[0] = kVersion;
  net::putU64(p + 1, claims.player_id);
  net::putU64(p + 9, static_cast<uint64_t>(claims.expires_at));
  p[17] = static_cast<unsigned char>(claims.zone.size());
  std::copy(claims.zone.begin(), claims.zone.end(), body.begin() + 18);
  std::copy(claims.nonce.begin(), claims.nonce.end(), p + 18 + claims.zone.size());
  auto tag = tagOf(keys_.front(), body);
  body.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return base64url::encode(body);
}

TokenCheck SessionKeys::verify(std::string_view token, std::string_view zone, int64_t now) const {
  TokenCheck check;
  if (token.size() > kMaxTokenChars) return check;
  auto raw = base64url::decode(token);
  if (!raw || raw->size() < kFixedBytes + 1 + kTagBytes) return check;
  const auto* p = reinterpret_cast<const unsigned char*>(raw->data());
  size_t zone_size = p[17];
  if (p[0] != kVersion || zone_size == 0 || zone_size > kMaxZoneBytes ||
      raw->size() != kFixedBytes + zone_size + kTagBytes) {
    return check;
  }
  std::string_view body(raw->data(), raw->size() - kTagBytes);
  const auto* tag = p + body.size();
  bool signed_by_us = false;
  for (const auto& key : keys_) {
    auto expected = tagOf(key, body);
    if (CRYPTO_memcmp(expected.data(), tag, kTagBytes) == 0) signed_by_us = true;  // no early exit: same time per key
  }
  if (!signed_by_us) {
    check.problem = TokenProblem::kBadSignature;
    return check;
  }
  SessionClaims claims;
  claims.player_id = net::getU64(p + 1);
  claims.expires_at = static_cast<int64_t>(net::getU64(p + 9));
  claims.zone.assign(raw->data() + 18, zone_size);
  std::copy(p + 18 + zone_size, p + 18 + zone_size + claims.nonce.size(), claims.nonce.begin());
  if (now >= claims.expires_at) {
    check.problem = TokenProblem::kExpired;
    return check;
  }
  if (claims.zone != zone) {
    check.problem = TokenProblem::kWrongZone;
    return check;
  }
  check.claims = std::move(claims);
  return check;
}

}  // namespace polis::client
