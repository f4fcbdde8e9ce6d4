#include "net/endpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/loopback_socket.h"

namespace polis::net {
namespace {

TEST(Endpoint, ParsesHostAndPort) {
  auto e = parseEndpoint("10.0.0.1:80");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "10.0.0.1");
  EXPECT_EQ(e->port, 80);
  EXPECT_EQ(e->str(), "10.0.0.1:80");
  auto v6 = parseEndpoint("[::1]:7000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->str(), "[::1]:7000");
}

TEST(Endpoint, RejectsMalformedText) {
  for (const char* bad : {"10.0.0.1", ":80", "h:0", "h:80x", "h:65536", "h:", "[::1:80", "[]:80", ""}) {
    EXPECT_FALSE(parseEndpoint(bad)) << bad;
  }
}

TEST(Endpoint, NumericAddressRefusesNames) {
  EXPECT_TRUE(numericAddress("127.0.0.1", 1));
  EXPECT_TRUE(numericAddress("::1", 1));
  EXPECT_TRUE(numericAddress("localhost", 1)) << "localhost is spelled 127.0.0.1";
  auto named = numericAddress("example.org", 1);
  ASSERT_FALSE(named);
  EXPECT_NE(named.error().message.find("example.org"), std::string::npos);
}

TEST(Endpoint, BoundPortReadsTheLocalPort) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  auto addr = numericAddress("127.0.0.1", 0);
  ASSERT_TRUE(addr);
  ASSERT_EQ(bind(fd, addr->get(), addr->length), 0);
  EXPECT_NE(boundPort(fd), 0);
  close(fd);
  EXPECT_EQ(boundPort(-1), 0);
}

}  // namespace
}  // namespace polis::net
