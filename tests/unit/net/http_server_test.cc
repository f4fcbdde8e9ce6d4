#include "net/http_server.h"

#include "support/http_server_thread.h"
#include "support/loopback_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <stdexcept>
#include <thread>

namespace polis::net {
namespace {

// Sends `request` to 127.0.0.1:port and returns everything the server sends
// back until it closes the connection (requests say "Connection: close").
std::string roundTrip(uint16_t port, const std::string& request) {
  int fd = testing::connectLoopback(port, [](int s) {
    timeval timeout{5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  });
  if (fd < 0) return "connect failed";
  // The server may answer and close before it has read everything (oversize
  // requests), so a failed send is not an error here.
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  char buffer[4096];
  while (true) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    reply.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return reply;
}

std::string get(uint16_t port, const std::string& target) {
  return roundTrip(port, "GET " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
}

std::string bodyOf(const std::string& reply) {
  size_t at = reply.find("\r\n\r\n");
  return at == std::string::npos ? "" : reply.substr(at + 4);
}

// One HttpServer on its own thread, as a node runs it.
class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(http_.started().ok()) << http_.started().error().describe(); }

  polis::testing::HttpServerThread http_{[](HttpServer& server) {
    server.route("/healthz", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n"}; });
    server.route("/echo", [](const HttpRequest& r) {
      return HttpResponse{201, "application/json", r.method + " " + r.path + " " + r.query + " " + r.body};
    });
    server.route("/throws", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  }};
  const uint16_t port_ = http_.port();
  EventLoop* const loop_ = &http_.loop();
};

TEST_F(HttpServerTest, BindsAFreePort) {
  EXPECT_NE(port_, 0);
}

TEST_F(HttpServerTest, GetRouteReturnsStatusTypeAndBody) {
  std::string reply = get(port_, "/healthz");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_NE(reply.find("Content-Type: text/plain\r\n"), std::string::npos) << reply;
  EXPECT_EQ(bodyOf(reply), "ok\n");
}

TEST_F(HttpServerTest, HandlerSeesMethodPathQueryAndBody) {
  std::string reply = roundTrip(port_,
                               "POST /echo?x=1&y=2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                               "Content-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 201 ")) << reply;
  EXPECT_EQ(bodyOf(reply), "POST /echo x=1&y=2 hello");
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  EXPECT_TRUE(get(port_, "/nope").starts_with("HTTP/1.1 404 ")) << get(port_, "/nope");
  EXPECT_TRUE(get(port_, "/healthz/extra").starts_with("HTTP/1.1 404 "));
}

TEST_F(HttpServerTest, ThrowingHandlerIs500) {
  EXPECT_TRUE(get(port_, "/throws").starts_with("HTTP/1.1 500 "));
  EXPECT_TRUE(get(port_, "/healthz").starts_with("HTTP/1.1 200 "));  // still serving
}

std::string getWithHeader(uint16_t port, size_t header_bytes) {
  return roundTrip(port, "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(header_bytes, 'a') +
                             "\r\nConnection: close\r\n\r\n");
}

TEST_F(HttpServerTest, OversizeHeadersAreRejected) {
  std::string reply = getWithHeader(port_, HttpServer::kMaxHeadersBytes + 1024);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431 ")) << reply.substr(0, 200);
  // Just under the cap is fine, so the 400 above came from the size.
  EXPECT_TRUE(getWithHeader(port_, HttpServer::kMaxHeadersBytes - 1024).starts_with("HTTP/1.1 200 "));
}

TEST_F(HttpServerTest, OversizeBodyIsRejected) {
  std::string body(HttpServer::kMaxBodyBytes + 1, 'b');
  std::string reply = roundTrip(port_, "POST /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 413 ")) << reply.substr(0, 200);
}

TEST_F(HttpServerTest, PortInUseNamesHostPortAndErrno) {
  std::promise<Result<uint16_t>> second;
  loop_->post([&] {
    HttpServer other(*loop_, "127.0.0.1", port_);
    second.set_value(other.start());
  });
  auto result = second.get_future().get();
  ASSERT_FALSE(result.ok());
  const std::string& message = result.error().message;
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port_)), std::string::npos) << message;
  EXPECT_NE(message.find("Address already in use"), std::string::npos) << message;
}

}  // namespace
}  // namespace polis::net
