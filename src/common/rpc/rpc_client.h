// RpcClient: keeps an authenticated Channel to one peer node, reconnecting
// (and re-running the handshake) whenever it drops, until stop().
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net/tcp_client.h"
#include "rpc/channel.h"

namespace polis::rpc {

class RpcClient {
 public:
  RpcClient(EventLoop& loop, const Dispatcher& dispatcher, ChannelOptions options, std::string host, uint16_t port,
            net::ConnectionOptions conn_options = {}, net::ReconnectPolicy policy = {});
  ~RpcClient();

  // on_ready runs for every new authenticated channel (first connect and each
  // reconnect); on_lost when a ready channel closes.
  void start(std::function<void(const Channel::Ptr&)> on_ready, std::function<void()> on_lost = {});
  void stop();
  // Closes the current channel (if any) and dials again after the backoff:
  // for a peer that stopped answering although its connection looks open.
  void reconnect(std::string_view reason);
  // The open channel, or null while (re)connecting.
  Channel::Ptr channel() const { return channel_ && channel_->ready() ? channel_ : nullptr; }
  std::string endpoint() const { return tcp_.endpoint(); }
  // True once a peer refused our proof of the cluster secret (the secrets differ).
  bool authFailed() const { return auth_failed_; }

 private:
  void onConnected(net::TcpConnection::Ptr conn);

  const Dispatcher& dispatcher_;
  ChannelOptions options_;
  net::TcpClient tcp_;
  Channel::Ptr channel_;
  std::function<void(const Channel::Ptr&)> on_ready_;
  std::function<void()> on_lost_;
  bool auth_failed_ = false;
};

}  // namespace polis::rpc
