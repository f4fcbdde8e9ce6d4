#include "client/client_frame.h"

#include <gtest/gtest.h>

namespace polis::client {
namespace {

TEST(ClientFrame, WrittenAsDocumentedAndReadBack) {
  std::string out;
  appendClientFrame(out, 1000, 0x01020304, "hi");
  // docs/protocol.md: u32 length (6 + body), u16 msg_id, u32 seq, body; big-endian.
  EXPECT_EQ(out, std::string("\x00\x00\x00\x08\x03\xe8\x01\x02\x03\x04hi", 12));
  std::string_view frame;
  ASSERT_EQ(net::splitFrame(out, clientFrameLimits(16), frame), net::FrameStatus::kFrame);
  auto parsed = parseClientFrame(frame);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->msg_id, 1000);
  EXPECT_EQ(parsed->seq, 0x01020304u);
  EXPECT_EQ(parsed->body, "hi");
}

TEST(ClientFrame, LengthsOutsideTheLimitsAreRefusedFromThePrefixAlone) {
  std::string_view frame;
  std::string empty_body;
  appendClientFrame(empty_body, 201, 1, "");
  EXPECT_EQ(net::splitFrame(empty_body, clientFrameLimits(0), frame), net::FrameStatus::kFrame);
  EXPECT_EQ(parseClientFrame(frame)->body, "");
  // A body one byte over the cap: refused although its bytes have not arrived.
  EXPECT_EQ(net::splitFrame(std::string("\x00\x00\x00\x11", 4), clientFrameLimits(10), frame),
            net::FrameStatus::kOversize);
  EXPECT_EQ(net::splitFrame(std::string("\x00\x00\x00\x05", 4), clientFrameLimits(10), frame),
            net::FrameStatus::kTooShort);
  EXPECT_FALSE(parseClientFrame("12345"));
}

}  // namespace
}  // namespace polis::client
