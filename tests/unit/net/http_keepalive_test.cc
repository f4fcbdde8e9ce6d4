// HttpServer on its own TcpServer: keep-alive and pipelined requests answered
// in order, half requests left waiting, HEAD without a body, and the cap of
// 64 open connections. Blocking sockets on the test thread talk to a server
// whose loop runs on its own thread, as on a node.
//
// The server runs with a 2 s idle timeout (10 s on a node) so the idle test
// stays short.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "support/http_server_thread.h"
#include "support/loopback_socket.h"

namespace polis::net {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kIdle{2000};

// A blocking client socket; every read is bounded by a receive timeout.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = polis::testing::connectLoopback(port, [](int s) {
      timeval timeout{3, 0};
      setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    });
  }
  ~Client() { closeNow(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool ok() const { return fd_ >= 0; }
  void closeNow() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool send(const std::string& bytes) {
    for (size_t sent = 0; sent < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // True when bytes (or EOF) arrive within `wait`.
  bool readable(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
  }
  // Reads until `buffer_` holds `n` bytes; false on EOF or timeout.
  bool fill(size_t n) {
    char chunk[4096];
    while (buffer_.size() < n) {
      ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(got));
    }
    return true;
  }
  // The next response: its head (through the blank line) and, unless it
  // answers a HEAD, a body of Content-Length bytes. "" when none came.
  struct Response {
    std::string head;
    std::string body;
    long content_length = -1;
  };
  Response next(bool has_body = true) {
    Response r;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(buffer_.size() + 1)) return r;
    }
    r.head = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    auto at = r.head.find("Content-Length: ");
    if (at != std::string::npos) r.content_length = std::stol(r.head.substr(at + 16));
    if (has_body && r.content_length > 0) {
      if (!fill(static_cast<size_t>(r.content_length))) return r;
      r.body = buffer_.substr(0, static_cast<size_t>(r.content_length));
      buffer_.erase(0, static_cast<size_t>(r.content_length));
    }
    return r;
  }
  // True when the server closed the connection (EOF) within the timeout.
  bool closedByServer() {
    char c;
    return buffer_.empty() && ::recv(fd_, &c, 1, 0) == 0;
  }
  const std::string& unread() const { return buffer_; }

 private:
  int fd_ = -1;
  std::string buffer_;
};

std::string get(const std::string& target, bool close = false) {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
}

class HttpKeepAliveTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(http_.started().ok()) << http_.started().error().describe(); }

  // The server's open connections, read on its loop thread.
  size_t connectionCount() {
    auto count = std::make_shared<std::promise<size_t>>();
    auto future = count->get_future();
    http_.loop().post([this, count] { count->set_value(http_.server().connectionCount()); });
    if (future.wait_for(2s) != std::future_status::ready) return SIZE_MAX;
    return future.get();
  }
  bool waitForConnections(size_t n, std::chrono::milliseconds limit = 3000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (connectionCount() == n) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  polis::testing::HttpServerThread http_{[](HttpServer& server) {
    server.route("/healthz", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n"}; });
    server.route("/first", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "first body"}; });
    server.route("/second", [](const HttpRequest&) { return HttpResponse{200, "text/plain", "2nd"}; });
    server.route("/query", [](const HttpRequest& r) { return HttpResponse{200, "text/plain", r.query}; });
  }, kIdle};
  const uint16_t port_ = http_.port();
};

TEST_F(HttpKeepAliveTest, TwoPipelinedRequestsAreAnsweredInOrder) {
  Client c(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(get("/first") + get("/second")));  // one write, two requests
  auto one = c.next();
  auto two = c.next();
  EXPECT_TRUE(one.head.starts_with("HTTP/1.1 200 ")) << one.head;
  EXPECT_EQ(one.content_length, 10);
  EXPECT_EQ(one.body, "first body");
  EXPECT_NE(one.head.find("Connection: keep-alive\r\n"), std::string::npos) << one.head;
  EXPECT_TRUE(two.head.starts_with("HTTP/1.1 200 ")) << two.head;
  EXPECT_EQ(two.content_length, 3);
  EXPECT_EQ(two.body, "2nd");
  // Still open: a third request on the same socket, this one closing it.
  EXPECT_FALSE(c.readable(50ms)) << "the server closed or sent more after keep-alive responses";
  ASSERT_TRUE(c.send(get("/healthz", /*close=*/true)));
  auto three = c.next();
  EXPECT_EQ(three.body, "ok\n");
  EXPECT_NE(three.head.find("Connection: close\r\n"), std::string::npos) << three.head;
  EXPECT_TRUE(c.closedByServer()) << "Connection: close was not honoured";
}

TEST_F(HttpKeepAliveTest, ManyPipelinedRequestsKeepTheirOrder) {
  Client c(port_);
  ASSERT_TRUE(c.ok());
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += get("/query?" + std::to_string(i));
  ASSERT_TRUE(c.send(burst));
  for (int i = 0; i < 50; ++i) {
    auto r = c.next();
    ASSERT_EQ(r.body, std::to_string(i)) << "response " << i << " out of order: " << r.head;
  }
}

TEST_F(HttpKeepAliveTest, HalfARequestIsNotAnsweredUntilTheRestArrives) {
  Client c(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send("GET /first HTTP/1.1\r\nHost: t\r\n"));  // no blank line yet
  EXPECT_FALSE(c.readable(200ms)) << "a request without the end of its head was answered (or the connection closed)";
  ASSERT_TRUE(c.send("\r\n"));
  auto r = c.next();
  EXPECT_EQ(r.body, "first body");
  // A request dribbled a byte at a time is answered once complete.
  std::string request = get("/second");
  for (size_t i = 0; i + 1 < request.size(); ++i) ASSERT_TRUE(c.send(request.substr(i, 1)));
  EXPECT_FALSE(c.readable(50ms));
  ASSERT_TRUE(c.send(request.substr(request.size() - 1)));
  EXPECT_EQ(c.next().body, "2nd");
}

TEST_F(HttpKeepAliveTest, HeadGetsTheHeadersWithoutABody) {
  Client c(port_);
  ASSERT_TRUE(c.ok());
  // HEAD then GET pipelined: the GET's response must start right after the
  // HEAD's head, so any body bytes sent for the HEAD would show up here.
  ASSERT_TRUE(c.send("HEAD /first HTTP/1.1\r\nHost: t\r\n\r\n" + get("/second")));
  auto head = c.next(/*has_body=*/false);
  EXPECT_TRUE(head.head.starts_with("HTTP/1.1 200 ")) << head.head;
  EXPECT_EQ(head.content_length, 10) << "HEAD must announce the length a GET would get";
  auto after = c.next();
  EXPECT_TRUE(after.head.starts_with("HTTP/1.1 200 ")) << "the HEAD response carried a body: " << after.head;
  EXPECT_EQ(after.body, "2nd");
}

TEST_F(HttpKeepAliveTest, The65thConnectionWaitsUntilOneOfThe64Closes) {
  std::vector<std::unique_ptr<Client>> open;
  for (size_t i = 0; i < HttpServer::kMaxConnections; ++i) {
    open.push_back(std::make_unique<Client>(port_));
    ASSERT_TRUE(open.back()->ok()) << i;
  }
  ASSERT_TRUE(waitForConnections(HttpServer::kMaxConnections));
  Client late(port_);  // completes in the kernel's backlog
  ASSERT_TRUE(late.ok());
  ASSERT_TRUE(late.send(get("/healthz")));
  EXPECT_FALSE(late.readable(300ms)) << "the 65th connection was served while 64 were open";
  EXPECT_EQ(connectionCount(), HttpServer::kMaxConnections);
  // An open connection is still served meanwhile.
  ASSERT_TRUE(open[10]->send(get("/healthz")));
  EXPECT_EQ(open[10]->next().body, "ok\n");

  open[0]->closeNow();
  auto r = late.next();
  EXPECT_EQ(r.body, "ok\n") << "the 65th connection was not served after one of the 64 closed";
  EXPECT_EQ(connectionCount(), HttpServer::kMaxConnections);
}

TEST_F(HttpKeepAliveTest, IdleConnectionIsClosedAndACompleteRequestRearmsTheTimer) {
  constexpr auto kTimeout = kIdle;
  Client silent(port_), busy(port_), half(port_);
  ASSERT_TRUE(silent.ok() && busy.ok() && half.ok());
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(half.send("GET /first HTTP/1.1\r\n"));  // a half request does not re-arm
  std::this_thread::sleep_for(kTimeout * 6 / 10);
  ASSERT_TRUE(busy.send(get("/healthz")));
  EXPECT_EQ(busy.next().body, "ok\n");
  ASSERT_TRUE(silent.readable(kTimeout));  // waits for the close
  auto silent_closed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(silent.closedByServer());
  EXPECT_GE(silent_closed, kTimeout - 100ms);
  EXPECT_LT(silent_closed, kTimeout + 1s);
  EXPECT_TRUE(half.closedByServer()) << "a half request kept the connection open";
  EXPECT_FALSE(busy.readable(kTimeout * 3 / 10)) << "a complete request did not re-arm the idle timer";
  ASSERT_TRUE(busy.readable(kTimeout));
  EXPECT_TRUE(busy.closedByServer());
}

}  // namespace
}  // namespace polis::net
