// HttpServer: a small HTTP/1.1 server for a node's ops port (/healthz,
// /readyz, /metrics, ...), on the same TcpServer as the RPC port.
//
// Not for players or untrusted heavy traffic, but safe to expose to them:
// requests are capped (8 KiB of request line and headers, 64 KiB of body), a
// connection without a complete request for 10 s (idle_timeout) is closed, at most 64
// connections are open at once (more wait in the backlog), and handlers run
// inline on the loop. Keep-alive and pipelined requests are served in order.
//
// Threads: loop-thread only. start(), route() and the destructor run on the
// loop's thread, and handlers are called there. Destroy the server before its
// EventLoop. A handler that throws gives the client a 500 and is logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/event_loop.h"
#include "base/result.h"
#include "net/http_parser.h"
#include "net/tcp_server.h"

namespace polis::net {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  static constexpr size_t kMaxHeadersBytes = 8 * 1024;
  static constexpr size_t kMaxBodyBytes = 64 * 1024;
  static constexpr std::chrono::milliseconds kIdleTimeout{10000};
  static constexpr size_t kMaxConnections = 64;

  // Port 0 binds any free port; port() tells which after start().
  HttpServer(EventLoop& loop, std::string host, uint16_t port, std::chrono::milliseconds idle_timeout = kIdleTimeout);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Returns the bound port; the error names host:port and the errno text.
  Result<uint16_t> start();
  // Exact path match; requests for other paths get 404.
  void route(std::string path, Handler handler);
  uint16_t port() const { return tcp_.port(); }
  size_t connectionCount() const { return connections_.size(); }

 private:
  struct Connection;
  void accept(TcpConnection::Ptr conn);
  void onData(Connection& c, evbuffer* input);
  bool headComplete(Connection& c, evbuffer* input);
  void respond(Connection& c, const HttpRequest& request, const HttpResponse& response, bool keep_alive);
  HttpResponse dispatch(const HttpRequest& request);
  void armIdleTimer(Connection& c);
  void forget(uint64_t id);

  EventLoop& loop_;
  std::chrono::milliseconds idle_timeout_;
  TcpServer tcp_;
  std::map<std::string, Handler, std::less<>> routes_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // watched weakly by connection callbacks
};

}  // namespace polis::net
