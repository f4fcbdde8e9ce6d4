// TcpServer: accepts connections on host:port and hands each, started by
// nobody yet, to the connection callback (which must call start() on it and
// keep the Ptr it wants alive).
//
// Abuse limits (a stranger can reach the port):
// - At most ListenerOptions::max_unadmitted accepted connections that have
//   not been admit()ted (authenticated, or for HTTP: at all) are open at
//   once; at the cap the listener stops accepting until one closes or is
//   admitted (new peers wait in the kernel's backlog).
// - Out of descriptors (EMFILE, ENFILE) or memory, accepting backs off
//   (50 ms doubling to 1 s) instead of spinning on the readable listener.
// - Accept failures are logged at most once per 10 s, with a count.
// Threads: loop-thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/event_loop.h"
#include "base/libevent_handles.h"
#include "base/result.h"
#include "net/tcp_connection.h"

namespace polis::net {

struct ListenerOptions {
  size_t max_unadmitted = 256;
  std::string name = "tcp";  // in logs and metrics: "rpc", "ops", ...
};

class TcpServer {
 public:
  using ConnectionCallback = std::function<void(TcpConnection::Ptr)>;

  TcpServer(EventLoop& loop, std::string host, uint16_t port, ConnectionOptions options = {},
            ListenerOptions listener = {});
  ~TcpServer();
  // Binds and listens (port 0: any free port). The error names host:port and why.
  Result<uint16_t> start(ConnectionCallback on_connection);
  // Closes the listening socket; open connections are not touched.
  void stopAccepting();
  uint16_t port() const { return port_; }
  // Accepted connections not yet admitted or closed.
  size_t unadmitted() const;

 private:
  struct Slots;
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  static void onAcceptError(evconnlistener*, void* arg);
  void slotReleased();
  void updateListening();
  std::string where() const;

  EventLoop& loop_;
  std::string host_;
  uint16_t port_;
  ConnectionOptions options_;
  ListenerOptions listener_options_;
  ConnectionCallback on_connection_;
  ListenerPtr listener_;
  std::shared_ptr<Slots> slots_;  // shared with the connections' admission slots
  TimerId backoff_timer_ = 0;
  std::chrono::milliseconds backoff_{0};
  bool at_cap_ = false;
};

}  // namespace polis::net
