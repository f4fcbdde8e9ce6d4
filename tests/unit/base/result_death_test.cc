// Result<T>: reading the wrong side is a broken invariant and aborts, in
// every build type, with what was found.
#include "base/result.h"

#include <gtest/gtest.h>

#include <string>

namespace polis {
namespace {

class ResultDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(ResultDeathTest, ValueOfAnErrorAbortsWithTheErrorText) {
  Result<int> r = Error{Errc::kTimeout, "the peer was slow"};
  EXPECT_DEATH((void)r.value(), "value\\(\\) of a Result that holds an error: timeout: the peer was slow");
}

TEST_F(ResultDeathTest, EveryValueAccessorChecks) {
  Result<std::string> r = Error{Errc::kUnavailable, "no route"};
  const Result<std::string>& cr = r;
  EXPECT_DEATH((void)*r, "unavailable: no route");
  EXPECT_DEATH((void)r->size(), "unavailable: no route");
  EXPECT_DEATH((void)cr.value(), "unavailable: no route");
  EXPECT_DEATH((void)std::move(r).value(), "unavailable: no route");
}

TEST_F(ResultDeathTest, ErrorOfAValueAborts) {
  Result<int> r = 7;
  EXPECT_DEATH((void)r.error(), "error\\(\\) of a Result that holds a value");
}

TEST_F(ResultDeathTest, ErrorOfAnOkVoidResultAborts) {
  Result<void> ok;
  EXPECT_DEATH((void)ok.error(), "error\\(\\) of a Result<void> that is ok");
}

TEST(Result, RightSideAccessIsFine) {
  Result<int> v = 7;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value(), 7);
  Result<int> e = Error{Errc::kRemote, "x"};
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kRemote);
  EXPECT_EQ(e.error().describe(), "remote_error: x");
  Result<void> bad = Errc::kInternal;
  EXPECT_EQ(bad.error().describe(), "internal");
}

}  // namespace
}  // namespace polis
