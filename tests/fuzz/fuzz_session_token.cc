// libFuzzer: session tokens (client/session_token.h) and base64url on
// arbitrary text. Beyond no crash: a decoded base64url string encodes back to
// the same text (one spelling per byte string), and a token that verifies is
// exactly what signing its claims gives — nothing else passes. The seeds
// (tests/fuzz/seeds.py) hold tokens signed with the key below, so mutations
// start from valid ones.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/base64url.h"
#include "client/session_token.h"

namespace {
constexpr std::string_view kFuzzKey = "fuzz-key-0123456789abcdef0123456789";
constexpr int64_t kNow = 1'800'000'000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace polis;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto bytes = base64url::decode(text); bytes && base64url::encode(*bytes) != text) std::abort();

  static const auto keys = *client::SessionKeys::make({std::string(kFuzzKey)});
  auto check = keys.verify(text, "eu-1", kNow);
  if (check) {
    auto again = keys.sign(*check.claims);
    if (!again || *again != text) std::abort();
  }
  return 0;
}
