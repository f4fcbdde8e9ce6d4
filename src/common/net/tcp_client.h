// TcpClient: keeps one outgoing connection to host:port up. It dials, hands
// each established connection to on_connected, and after a close or a failed
// dial retries with capped exponential backoff until stop(). A dial that has
// not connected within ReconnectPolicy::connect_timeout is abandoned and
// retried (a peer host that drops SYNs would otherwise hold it for minutes).
// Threads: loop-thread only. Destroying the client stops retrying; an
// established connection lives on with whoever holds its Ptr.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/event_loop.h"
#include "base/libevent_handles.h"
#include "net/endpoint.h"
#include "net/tcp_connection.h"

namespace polis::net {

struct ReconnectPolicy {
  std::chrono::milliseconds initial{50};
  std::chrono::milliseconds max{500};
  std::chrono::milliseconds connect_timeout{3000};
};

class TcpClient {
 public:
  using ConnectedCallback = std::function<void(TcpConnection::Ptr)>;

  TcpClient(EventLoop& loop, std::string host, uint16_t port, ConnectionOptions options = {},
            ReconnectPolicy policy = {});
  ~TcpClient();

  // Dials now. on_connected receives each new connection (not yet started).
  void connect(ConnectedCallback on_connected);
  // Call when the connection handed out has closed: schedules the next dial.
  void connectionLost();
  // Call once the connection proved useful (e.g. authenticated): the next
  // retry starts from the initial delay again. Not done on TCP connect alone,
  // so a peer that accepts and then refuses us is not hammered.
  void resetBackoff() { backoff_ = policy_.initial; }
  // The next dial waits at least `delay` (e.g. after the peer refused us).
  void holdOff(std::chrono::milliseconds delay) { backoff_ = std::max(backoff_, delay); }
  void stop();
  std::string endpoint() const { return Endpoint{host_, port_}.str(); }

 private:
  static void onConnectEvent(bufferevent*, short what, void* arg);
  void dial();
  void dialFailed();
  void scheduleRetry();

  EventLoop& loop_;
  std::string host_;
  uint16_t port_;
  ConnectionOptions options_;
  ReconnectPolicy policy_;
  ConnectedCallback on_connected_;
  BufferEventPtr dialing_;
  std::chrono::milliseconds backoff_;
  TimerId retry_timer_ = 0;
  TimerId connect_timer_ = 0;
  bool stopped_ = false;
};

}  // namespace polis::net
