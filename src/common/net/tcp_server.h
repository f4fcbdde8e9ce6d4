// TcpServer: accepts connections on host:port and hands each, started by
// nobody yet, to the connection callback (which must call start() on it and
// keep the Ptr it wants alive).
// Threads: loop-thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/event_loop.h"
#include "base/libevent_handles.h"
#include "base/result.h"
#include "net/tcp_connection.h"

namespace polis::net {

class TcpServer {
 public:
  using ConnectionCallback = std::function<void(TcpConnection::Ptr)>;

  TcpServer(EventLoop& loop, std::string host, uint16_t port, ConnectionOptions options = {});
  // Binds and listens (port 0: any free port). The error names host:port and why.
  Result<uint16_t> start(ConnectionCallback on_connection);
  // Closes the listening socket; open connections are not touched.
  void stopAccepting();
  uint16_t port() const { return port_; }

 private:
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  static void onAcceptError(evconnlistener*, void* arg);

  EventLoop& loop_;
  std::string host_;
  uint16_t port_;
  ConnectionOptions options_;
  ConnectionCallback on_connection_;
  ListenerPtr listener_;
};

// Resolves a numeric IPv4/IPv6 host (no DNS on the event loop) and port.
Result<sockaddr_storage> parseEndpoint(const std::string& host, uint16_t port, socklen_t& len);

}  // namespace polis::net
