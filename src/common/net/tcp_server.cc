#include "net/tcp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace polis::net {

Result<sockaddr_storage> parseEndpoint(const std::string& host, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  std::string h = host == "localhost" ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, h.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, h.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    return Error{Errc::kInvalidArgument, "not a numeric IP address: \"" + host + "\""};
  }
  return ss;
}

TcpServer::TcpServer(EventLoop& loop, std::string host, uint16_t port, ConnectionOptions options)
    : loop_(loop), host_(std::move(host)), port_(port), options_(options) {}

Result<uint16_t> TcpServer::start(ConnectionCallback on_connection) {
  loop_.assertInLoopThread();
  on_connection_ = std::move(on_connection);
  socklen_t len = 0;
  auto addr = parseEndpoint(host_, port_, len);
  if (!addr) return addr.error();
  listener_.reset(evconnlistener_new_bind(loop_.base(), &TcpServer::onAccept, this,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
                                          reinterpret_cast<sockaddr*>(&*addr), static_cast<int>(len)));
  if (!listener_) {
    return Error{Errc::kUnavailable,
                 "cannot listen on " + host_ + ":" + std::to_string(port_) + ": " + std::strerror(errno)};
  }
  evconnlistener_set_error_cb(listener_.get(), &TcpServer::onAcceptError);
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(evconnlistener_get_fd(listener_.get()), reinterpret_cast<sockaddr*>(&bound), &blen);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return port_;
}

void TcpServer::stopAccepting() { listener_.reset(); }

void TcpServer::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int, void* arg) {
  auto* self = static_cast<TcpServer*>(arg);
  evutil_make_socket_nonblocking(fd);
  BufferEventPtr bev(bufferevent_socket_new(self->loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE));
  if (!bev) {
    evutil_closesocket(fd);
    return;
  }
  auto conn = std::make_shared<TcpConnection>(self->loop_, std::move(bev), formatAddress(addr), self->options_);
  self->on_connection_(std::move(conn));
}

void TcpServer::onAcceptError(evconnlistener*, void* arg) {
  // EMFILE and friends: log and keep listening; the next accept may succeed.
  auto* self = static_cast<TcpServer*>(arg);
  log::warn("accept failed on {}:{}: {}", self->host_, self->port_,
            evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

}  // namespace polis::net
