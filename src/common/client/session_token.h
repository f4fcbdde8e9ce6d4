// Session tokens: what a login node hands a player and any proxy verifies
// locally, with no round trip (DESIGN §2). A token is base64url (no padding)
// of
//
//   u8   version            1
//   u64  player_id          big-endian
//   i64  expires_at         Unix seconds, big-endian
//   u8   zone length        1..64, then the zone's bytes ([A-Za-z0-9_.-])
//   16 B nonce              random: two tokens for the same claims differ
//   32 B tag                HMAC-SHA256(key, "polis/session/1" || all the above)
//
// Keys come from config as a list: the first signs, every one verifies, so a
// key is rotated by listing the new one first and the old one second until
// tokens signed with the old one have expired, then dropping it. Clients treat
// the token as an opaque string.
// Threads: a SessionKeys is immutable once made; share it freely.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace polis {
class ConfigReader;
}

namespace polis::client {

inline constexpr size_t kMinKeyBytes = 32;
inline constexpr size_t kMaxKeys = 8;
inline constexpr size_t kMaxZoneBytes = 64;
inline constexpr size_t kMaxTokenChars = 256;  // longer is refused before decoding

struct SessionClaims {
  uint64_t player_id = 0;
  std::string zone;
  int64_t expires_at = 0;  // Unix seconds
  std::array<uint8_t, 16> nonce{};

  bool operator==(const SessionClaims&) const = default;
};

// Fresh claims with a random nonce.
SessionClaims newClaims(uint64_t player_id, std::string zone, int64_t expires_at);

// Why a token was refused; the names are the stable error codes proxies send.
enum class TokenProblem {
  kMalformed,     // "token_malformed": not a token of this format at all
  kBadSignature,  // "token_invalid": no configured key signed it (forged, altered, or a key since dropped)
  kExpired,       // "token_expired"
  kWrongZone,     // "token_wrong_zone": signed for another zone
};
std::string_view tokenProblemCode(TokenProblem problem);

struct TokenCheck {
  std::optional<SessionClaims> claims;  // set when the token is good
  TokenProblem problem = TokenProblem::kMalformed;
  explicit operator bool() const { return claims.has_value(); }
};

class SessionKeys {
 public:
  // 1..kMaxKeys keys of at least kMinKeyBytes bytes each; the first signs.
  static Result<SessionKeys> make(std::vector<std::string> keys);
  // The keys at config key `key` (a list of strings; see make()): a bad list
  // is reported by the reader, naming the key; the result is then empty.
  static std::optional<SessionKeys> read(ConfigReader& reader, std::string_view key);

  // Refuses claims it could not encode (a zone outside 1..64 of [A-Za-z0-9_.-]).
  Result<std::string> sign(const SessionClaims& claims) const;
  // Signature first (nothing of an unsigned token is trusted), then expiry
  // (`now` in Unix seconds: expired once now >= expires_at), then the zone.
  TokenCheck verify(std::string_view token, std::string_view zone, int64_t now) const;

 private:
  explicit SessionKeys(std::vector<std::string> keys) : keys_(std::move(keys)) {}
  std::vector<std::string> keys_;
};

}  // namespace polis::client
