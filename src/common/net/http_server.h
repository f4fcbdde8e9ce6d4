// HttpServer: a small HTTP/1.1 server for a node's ops port (/healthz,
// /readyz, /metrics), built on libevent's evhttp.
//
// Not for players or untrusted heavy traffic: requests are capped (8 KiB of
// headers, 64 KiB of body, 10 s timeout) and handlers run inline on the loop.
//
// Threads: loop-thread only. start(), route() and the destructor run on the
// loop's thread, and handlers are called there. Destroy the server before its
// EventLoop. Handlers must not throw; if one does, the client gets a 500 and
// the error is logged.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "base/event_loop.h"
#include "base/libevent_handles.h"
#include "base/result.h"

namespace polis::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query, not percent-decoded
  std::string query;   // after '?', not decoded; empty if none
  std::string body;
};

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
  static constexpr int kTimeoutSeconds = 10;

  // Port 0 binds any free port; port() tells which after start().
  HttpServer(EventLoop& loop, std::string host, uint16_t port);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Returns the bound port; the error names host:port and the errno text.
  Result<uint16_t> start();
  // Exact path match; requests for other paths get 404.
  void route(std::string path, Handler handler);
  uint16_t port() const { return port_; }

 private:
  static void onRequest(evhttp_request* request, void* self);
  void handle(evhttp_request* request);
  Result<int> listenSocket();

  EventLoop& loop_;
  std::string host_;
  uint16_t port_;
  std::map<std::string, Handler, std::less<>> routes_;
  EvhttpPtr http_;  // owns the listening socket and every open connection
};

}  // namespace polis::net
