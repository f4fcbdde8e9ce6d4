#include "base/base64url.h"

#include <gtest/gtest.h>

#include <random>

namespace polis {
namespace {

TEST(Base64url, Rfc4648VectorsInTheUrlAlphabetWithoutPadding) {
  // RFC 4648 §10, padding removed.
  EXPECT_EQ(base64url::encode(""), "");
  EXPECT_EQ(base64url::encode("f"), "Zg");
  EXPECT_EQ(base64url::encode("fo"), "Zm8");
  EXPECT_EQ(base64url::encode("foo"), "Zm9v");
  EXPECT_EQ(base64url::encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url::encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url::encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url::encode("\xfb\xff\xbf"), "-_-_");  // 62 and 63 are - and _, not + and /
  EXPECT_EQ(base64url::decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64url::decode("-_-_"), "\xfb\xff\xbf");
}

TEST(Base64url, EveryByteStringRoundTrips) {
  std::mt19937 random(7);
  for (size_t size = 0; size < 300; ++size) {
    std::string bytes(size, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    auto text = base64url::encode(bytes);
    EXPECT_EQ(base64url::decode(text), bytes) << size;
  }
}

TEST(Base64url, OnlyTheCanonicalSpellingDecodes) {
  // Padding, the other alphabet, whitespace, an impossible length, and last
  // characters with unused bits set ("Zh" for "Zg", "Zm9" for "Zm8").
  for (const char* bad : {"Zm9v=", "Zm9vYg==", "Zm9v+", "Zm9v/", "Zm9 v", "Zm9v\n", "Z", "Zm9vY", "Zh", "Zm9"}) {
    EXPECT_FALSE(base64url::decode(bad)) << bad;
  }
  EXPECT_EQ(base64url::decode("Zg"), "f");
  EXPECT_EQ(base64url::decode("Zm8"), "fo");
  EXPECT_FALSE(base64url::decode(std::string("Zm\0v", 4)));
}

}  // namespace
}  // namespace polis
