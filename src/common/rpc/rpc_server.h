// RpcServer: listens for node-to-node connections and runs a Channel over
// each. Owns its channels; others see them through the callbacks and hold
// weak references.
//
// Strangers: a connection counts against the listener's cap of
// not-yet-authenticated connections (net::ListenerOptions) until its
// handshake succeeds, and an address that keeps failing the proof is
// refused at accept for a while (AuthThrottle).
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "net/tcp_server.h"
#include "rpc/auth_throttle.h"
#include "rpc/channel.h"

namespace polis::rpc {

class RpcServer {
 public:
  using ChannelCallback = std::function<void(const Channel::Ptr&)>;

  RpcServer(EventLoop& loop, const Dispatcher& dispatcher, ChannelOptions options, std::string host, uint16_t port,
            net::ConnectionOptions conn_options = {}, net::ListenerOptions listener = {256, "rpc"});
  ~RpcServer();

  // Called when a peer has passed the handshake, and when a ready channel closes.
  void onChannelReady(ChannelCallback cb) { on_ready_ = std::move(cb); }
  void onChannelClosed(ChannelCallback cb) { on_closed_ = std::move(cb); }

  Result<uint16_t> start();
  void stopAccepting() { tcp_.stopAccepting(); }
  // Closes every channel; with `flush`, replies already queued go out first.
  // Channels leave channelCount() once their connections have finished closing.
  void closeAll(std::string_view reason, bool flush = false);
  size_t channelCount() const { return channels_.size(); }
  // Accepted connections that have not finished the handshake.
  size_t unauthenticated() const { return tcp_.unadmitted(); }
  uint16_t port() const { return tcp_.port(); }

 private:
  void accept(net::TcpConnection::Ptr conn);

  const Dispatcher& dispatcher_;
  ChannelOptions options_;
  net::TcpServer tcp_;
  AuthThrottle auth_throttle_;
  std::unordered_map<Channel*, Channel::Ptr> channels_;
  ChannelCallback on_ready_;
  ChannelCallback on_closed_;
};

}  // namespace polis::rpc
