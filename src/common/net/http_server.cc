#include "net/http_server.h"

#include <event2/buffer.h>
#include <fmt/format.h>

#include <exception>

#include "base/guard.h"
#include "base/log.h"
#include "base/log_throttle.h"

namespace polis::net {
namespace {

constexpr size_t kHighWaterBytes = 8u << 20;  // far above any /metrics page

const char* reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Error";
  }
}

HttpResponse plain(int status, std::string body) { return HttpResponse{status, "text/plain; charset=utf-8", std::move(body)}; }

}  // namespace

struct HttpServer::Connection {
  TcpConnection::Ptr conn;
  TimerId idle_timer = 0;
  size_t head_scanned = 0;  // bytes searched for the end of the head without finding it
  bool done = false;        // answered with Connection: close; ignore further bytes
};

HttpServer::HttpServer(EventLoop& loop, std::string host, uint16_t port, std::chrono::milliseconds idle_timeout)
    : loop_(loop), idle_timeout_(idle_timeout),
      tcp_(loop, std::move(host), port, ConnectionOptions{kHighWaterBytes},
           ListenerOptions{kMaxConnections, "ops"}) {}

HttpServer::~HttpServer() {
  for (auto& [id, c] : connections_) {
    if (c->idle_timer) loop_.cancel(c->idle_timer);
    c->conn->close("ops server stopped");
  }
}

void HttpServer::route(std::string path, Handler handler) { routes_[std::move(path)] = std::move(handler); }

Result<uint16_t> HttpServer::start() {
  auto port = tcp_.start([this](TcpConnection::Ptr conn) { accept(std::move(conn)); });
  if (!port) return Error(port.error().code, "http " + port.error().message);
  return port;
}

void HttpServer::accept(TcpConnection::Ptr conn) {
  auto c = std::make_unique<Connection>();
  c->conn = conn;
  uint64_t id = conn->id();
  Connection& ref = *c;
  connections_.emplace(id, std::move(c));
  // The connection's callbacks find the state by id: after forget() they
  // find nothing, and once the server is gone they do nothing.
  std::weak_ptr<bool> alive = alive_;
  conn->start(
      [this, id, alive](evbuffer* input) {
        if (alive.expired()) return;
        if (auto it = connections_.find(id); it != connections_.end()) onData(*it->second, input);
      },
      [this, id, alive](const TcpConnection::Ptr&, std::string_view) {
        if (!alive.expired()) forget(id);
      });
  armIdleTimer(ref);
}

void HttpServer::forget(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (it->second->idle_timer) loop_.cancel(it->second->idle_timer);
  connections_.erase(it);
}

// A connection with no complete request for idle_timeout_ is closed: the
// whole of a slow request (headers dribbled a byte at a time) counts.
void HttpServer::armIdleTimer(Connection& c) {
  if (c.idle_timer) loop_.cancel(c.idle_timer);
  std::weak_ptr<TcpConnection> weak = c.conn;
  c.idle_timer = loop_.runAfter(idle_timeout_, [this, weak] {
    auto conn = weak.lock();
    if (!conn) return;
    auto it = connections_.find(conn->id());
    if (it != connections_.end()) it->second->idle_timer = 0;
    conn->close("idle timeout");
  });
}

// True once the input holds a whole request head. Searches only bytes not
// searched before, so a head sent a byte at a time costs linear time.
bool HttpServer::headComplete(Connection& c, evbuffer* input) {
  size_t length = evbuffer_get_length(input);
  evbuffer_ptr from;
  evbuffer_ptr_set(input, &from, c.head_scanned > 3 ? c.head_scanned - 3 : 0, EVBUFFER_PTR_SET);
  evbuffer_ptr found = evbuffer_search(input, "\r\n\r\n", 4, &from);
  if (found.pos >= 0) return true;
  c.head_scanned = length;
  return false;
}

void HttpServer::onData(Connection& c, evbuffer* input) {
  HttpLimits limits{kMaxHeadersBytes, kMaxBodyBytes};
  while (!c.done && evbuffer_get_length(input) > 0) {
    if (!headComplete(c, input) && evbuffer_get_length(input) <= limits.max_head) return;
    size_t available = std::min(evbuffer_get_length(input), limits.max_head + 4 + limits.max_body);
    auto* bytes = evbuffer_pullup(input, static_cast<ev_ssize_t>(available));
    HttpRequest request;
    size_t consumed = 0;
    auto parsed = parseHttpRequest(std::string_view(reinterpret_cast<const char*>(bytes), available), limits,
                                   request, consumed);
    if (parsed == HttpParse::kNeedMore) return;
    if (parsed != HttpParse::kDone) {
      int status = httpStatusFor(parsed);
      if (auto note = log::throttle("ops http bad request")) {
        log::warn("ops http: refused a request from {} with {}{}", c.conn->peer(), status, *note);
      }
      respond(c, request, plain(status, std::string(reasonPhrase(status)) + "\n"), false);
      return;
    }
    evbuffer_drain(input, consumed);
    c.head_scanned = 0;
    respond(c, request, dispatch(request), request.keep_alive);
    if (!c.done) armIdleTimer(c);
  }
}

HttpResponse HttpServer::dispatch(const HttpRequest& request) {
  auto route = routes_.find(request.path);
  if (route == routes_.end()) return plain(404, "not found\n");
  try {
    return route->second(request);
  } catch (...) {
    if (auto note = log::throttle("ops http handler threw " + request.path)) {
      log::error("http {} {}: handler threw: {}{}", request.method, request.path,
                 describeException(std::current_exception()), *note);
    }
  }
  return plain(500, "internal error\n");
}

void HttpServer::respond(Connection& c, const HttpRequest& request, const HttpResponse& response, bool keep_alive) {
  std::string head = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
                                 response.status, reasonPhrase(response.status), response.content_type,
                                 response.body.size(), keep_alive ? "keep-alive" : "close");
  c.conn->send(head.data(), head.size());
  if (request.method != "HEAD") c.conn->send(response.body.data(), response.body.size());
  if (!keep_alive) {
    c.done = true;
    c.conn->closeAfterFlush("response sent");
  }
}

}  // namespace polis::net
