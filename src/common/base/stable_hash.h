// Hashes that are the same in every process, build and restart (std::hash is
// not promised to be): for choices two processes must agree on — which Redis
// shard holds a player, which node an address goes to.
#pragma once

#include <cstdint>
#include <string_view>

namespace polis::stable_hash {

// splitmix64's finaliser: spreads the bits (FNV alone clusters on short keys).
constexpr uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

// FNV-1a over `bytes`, continuing from `h`.
constexpr uint64_t fnv1a(std::string_view bytes, uint64_t h = kFnvOffset) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// FNV-1a then the mixer.
constexpr uint64_t of(std::string_view bytes) { return mix(fnv1a(bytes)); }

}  // namespace polis::stable_hash
