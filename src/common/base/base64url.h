// Base64url (RFC 4648 §5) without padding, for tokens that travel in JSON and
// URLs. Decoding is strict: only the url-safe alphabet, no padding, no
// whitespace, and the unused low bits of the last character must be zero —
// so every byte string has exactly one encoding (a token cannot be altered
// into a second spelling that decodes the same).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace polis::base64url {

std::string encode(std::string_view bytes);
// nullopt for anything but the canonical encoding of some bytes.
std::optional<std::string> decode(std::string_view text);

}  // namespace polis::base64url
