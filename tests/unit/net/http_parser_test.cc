// The ops port's request parser on its own: every accepted form, every
// refusal, and the byte-at-a-time case (no request is complete early).
#include "net/http_parser.h"

#include <gtest/gtest.h>

namespace polis::net {
namespace {

HttpParse parse(std::string_view text, HttpRequest& out, size_t& consumed, HttpLimits limits = {}) {
  return parseHttpRequest(text, limits, out, consumed);
}

HttpParse parse(std::string_view text) {
  HttpRequest r;
  size_t n = 0;
  return parse(text, r, n);
}

TEST(HttpParser, SimpleGet) {
  HttpRequest r;
  size_t n = 0;
  std::string text = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_EQ(parse(text, r, n), HttpParse::kDone);
  EXPECT_EQ(n, text.size());
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(r.query, "x=1");
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.keep_alive);
}

TEST(HttpParser, HeadersAreKeptLowerCasedAndTrimmedAndRepeatsAreAmbiguous) {
  HttpRequest r;
  size_t n = 0;
  std::string text =
      "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade:  WebSocket \r\nConnection: keep-alive, Upgrade\r\n"
      "X-Twice: 1\r\nx-twice: 2\r\n\r\n";
  ASSERT_EQ(parse(text, r, n), HttpParse::kDone);
  ASSERT_EQ(r.headers.size(), 5u);
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>{"upgrade", "WebSocket"}));
  ASSERT_TRUE(r.header("host"));
  EXPECT_EQ(*r.header("host"), "a");
  EXPECT_EQ(r.header("x-twice"), nullptr);
  EXPECT_EQ(r.header("absent"), nullptr);
  EXPECT_TRUE(r.headerHasToken("connection", "upgrade"));
  EXPECT_TRUE(r.headerHasToken("connection", "Keep-Alive"));
  EXPECT_FALSE(r.headerHasToken("connection", "close"));
  EXPECT_FALSE(r.headerHasToken("upgrade", "web"));
}

TEST(HttpParser, BodyByContentLengthAndPipelinedNext) {
  std::string first = "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
  std::string both = first + "GET / HTTP/1.1\r\n\r\n";
  HttpRequest r;
  size_t n = 0;
  ASSERT_EQ(parse(both, r, n), HttpParse::kDone);
  EXPECT_EQ(n, first.size()) << "only the first request is consumed";
  EXPECT_EQ(r.body, "hello");
  EXPECT_FALSE(r.keep_alive);
  ASSERT_EQ(parse(std::string_view(both).substr(n), r, n), HttpParse::kDone);
  EXPECT_EQ(r.path, "/");
}

TEST(HttpParser, KeepAliveFollowsTheVersion) {
  HttpRequest r;
  size_t n = 0;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", r, n), HttpParse::kDone);
  EXPECT_FALSE(r.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", r, n), HttpParse::kDone);
  EXPECT_TRUE(r.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.1\r\nconnection: CLOSE\r\n\r\n", r, n), HttpParse::kDone);
  EXPECT_FALSE(r.keep_alive);
}

TEST(HttpParser, NoPrefixOfARequestIsComplete) {
  std::string text = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  for (size_t len = 0; len < text.size(); ++len) {
    EXPECT_EQ(parse(std::string_view(text).substr(0, len)), HttpParse::kNeedMore) << len;
  }
  EXPECT_EQ(parse(text), HttpParse::kDone);
}

TEST(HttpParser, MalformedRequestsAreBadRequests) {
  for (const char* bad : {
           "GET\r\n\r\n",                                 // no target or version
           "GET / HTTP/2.0\r\n\r\n",                      // unknown version
           "GET http://x/ HTTP/1.1\r\n\r\n",              // absolute form
           "GET /a b HTTP/1.1\r\n\r\n",                   // space in the target
           "G(T / HTTP/1.1\r\n\r\n",                      // not a token
           "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
           "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
           "GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n",   // obs-fold
           "GET / HTTP/1.1\nHost: x\r\n\r\n",             // bare LF
           "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
           "GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n",      // control character
       }) {
    EXPECT_EQ(parse(bad), HttpParse::kBadRequest) << bad;
  }
  EXPECT_EQ(httpStatusFor(HttpParse::kBadRequest), 400);
}

TEST(HttpParser, LimitsAndUnsupportedFeatures) {
  HttpLimits small{64, 8};
  HttpRequest r;
  size_t n = 0;
  std::string long_head = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse(long_head, r, n, small), HttpParse::kHeadTooLarge);
  EXPECT_EQ(parse(long_head.substr(0, 70), r, n, small), HttpParse::kHeadTooLarge) << "known before the end";
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n", r, n, small), HttpParse::kBodyTooLarge)
      << "refused on the header, before any body arrives";
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"), HttpParse::kBadRequest);
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), HttpParse::kNotImplemented);
  EXPECT_EQ(httpStatusFor(HttpParse::kHeadTooLarge), 431);
  EXPECT_EQ(httpStatusFor(HttpParse::kBodyTooLarge), 413);
  EXPECT_EQ(httpStatusFor(HttpParse::kNotImplemented), 501);
}

}  // namespace
}  // namespace polis::net
