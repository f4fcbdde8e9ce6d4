#include "net/http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

#include "base/log.h"

namespace polis::net {
namespace {

std::string_view methodName(evhttp_cmd_type command) {
  switch (command) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
  }
  return "UNKNOWN";
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Error";
  }
}

HttpRequest toRequest(evhttp_request* raw) {
  HttpRequest request;
  request.method = methodName(evhttp_request_get_command(raw));
  if (const evhttp_uri* uri = evhttp_request_get_evhttp_uri(raw)) {
    const char* path = evhttp_uri_get_path(uri);
    const char* query = evhttp_uri_get_query(uri);
    request.path = path && *path ? path : "/";
    request.query = query ? query : "";
  }
  evbuffer* input = evhttp_request_get_input_buffer(raw);
  request.body.resize(evbuffer_get_length(input));
  evbuffer_copyout(input, request.body.data(), request.body.size());
  return request;
}

void sendResponse(evhttp_request* raw, const HttpResponse& response) {
  evkeyvalq* headers = evhttp_request_get_output_headers(raw);
  evhttp_add_header(headers, "Content-Type", response.content_type.c_str());
  evbuffer_add(evhttp_request_get_output_buffer(raw), response.body.data(), response.body.size());
  evhttp_send_reply(raw, response.status, reasonPhrase(response.status), nullptr);
}

std::string errnoText(int err) { return std::strerror(err); }

}  // namespace

HttpServer::HttpServer(EventLoop& loop, std::string host, uint16_t port)
    : loop_(loop), host_(std::move(host)), port_(port) {}

HttpServer::~HttpServer() = default;

void HttpServer::route(std::string path, Handler handler) {
  routes_[std::move(path)] = std::move(handler);
}

// Binds the socket ourselves (rather than evhttp_bind_socket) so a failure
// reports the exact errno of the call that failed.
Result<int> HttpServer::listenSocket() {
  std::string where = fmt::format("{}:{}", host_, port_);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port_);
  if (int rc = getaddrinfo(host_.empty() ? nullptr : host_.c_str(), service.c_str(), &hints, &found)) {
    return Error(Errc::kUnavailable, fmt::format("http {}: cannot resolve host: {}", where, gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(found, freeaddrinfo);
  int fd = socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
  if (fd < 0) return Error(Errc::kUnavailable, fmt::format("http {}: socket: {}", where, errnoText(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
    int err = errno;
    close(fd);
    return Error(Errc::kUnavailable, fmt::format("http {}: cannot listen: {}", where, errnoText(err)));
  }
  return fd;
}

Result<uint16_t> HttpServer::start() {
  loop_.assertInLoopThread();
  auto fd = listenSocket();
  if (!fd) return fd.error();
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  http_.reset(evhttp_new(loop_.base()));
  // The listener closes the socket when it is freed (with http_); backlog 0: already listening.
  evconnlistener* listener = evconnlistener_new(loop_.base(), nullptr, nullptr,
                                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, *fd);
  if (!http_ || !listener || !evhttp_bind_listener(http_.get(), listener)) {
    if (listener) evconnlistener_free(listener);
    else close(*fd);
    http_.reset();
    return Error(Errc::kInternal, fmt::format("http {}:{}: libevent setup failed", host_, port_));
  }
  evhttp_set_max_headers_size(http_.get(), kMaxHeadersBytes);
  evhttp_set_max_body_size(http_.get(), kMaxBodyBytes);
  evhttp_set_timeout(http_.get(), kTimeoutSeconds);
  evhttp_set_gencb(http_.get(), &HttpServer::onRequest, this);
  return port_;
}

void HttpServer::onRequest(evhttp_request* request, void* self) {
  static_cast<HttpServer*>(self)->handle(request);
}

void HttpServer::handle(evhttp_request* raw) {
  HttpRequest request = toRequest(raw);
  auto route = routes_.find(request.path);
  if (route == routes_.end()) {
    sendResponse(raw, HttpResponse{404, "text/plain; charset=utf-8", "not found\n"});
    return;
  }
  // Exceptions must not unwind through libevent's C frames.
  HttpResponse response;
  try {
    response = route->second(request);
  } catch (const std::exception& e) {
    log::error("http {} {}: handler threw: {}", request.method, request.path, e.what());
    response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
  } catch (...) {
    log::error("http {} {}: handler threw a non-exception", request.method, request.path);
    response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
  }
  sendResponse(raw, response);
}

}  // namespace polis::net
