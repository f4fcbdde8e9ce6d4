#include "rpc/rpc_server.h"

#include <vector>

#include "base/log.h"
#include "base/log_throttle.h"
#include "rpc/rpc_metrics.h"

namespace polis::rpc {

RpcServer::RpcServer(EventLoop& loop, const Dispatcher& dispatcher, ChannelOptions options, std::string host,
                     uint16_t port, net::ConnectionOptions conn_options, net::ListenerOptions listener)
    : dispatcher_(dispatcher), options_(std::move(options)),
      tcp_(loop, std::move(host), port, conn_options, std::move(listener)) {}

RpcServer::~RpcServer() {
  // Detached channels no longer call back into this server; close them here.
  for (auto& [raw, ch] : channels_) {
    ch->detach();
    ch->close("server shutting down");
  }
}

Result<uint16_t> RpcServer::start() {
  return tcp_.start([this](net::TcpConnection::Ptr conn) { accept(std::move(conn)); });
}

void RpcServer::accept(net::TcpConnection::Ptr conn) {
  std::string address = net::hostPart(conn->peer());
  if (!auth_throttle_.allowed(address)) {
    rpcMetrics().auth_throttled.inc();
    if (auto note = log::throttle("auth throttled " + address)) {
      log::warn("refusing connections from {} for now: it failed the cluster-secret proof too often{}", address,
                *note);
    }
    conn->close("auth throttled");
    return;
  }
  std::weak_ptr<net::TcpConnection> weak_conn = conn;
  auto ch = Channel::start(
      std::move(conn), dispatcher_, options_,
      [this, weak_conn](const Channel::Ptr& c) {
        if (auto conn = weak_conn.lock()) conn->admit();  // authenticated: off the stranger quota
        if (on_ready_) on_ready_(c);
      },
      [this, address](const Channel::Ptr& c) {
        auto keep = c;
        channels_.erase(c.get());
        if (keep->authFailed()) auth_throttle_.recordFailure(address);
        if (keep->authenticated() && on_closed_) on_closed_(keep);
      });
  channels_.emplace(ch.get(), ch);
}

void RpcServer::closeAll(std::string_view reason, bool flush) {
  std::vector<Channel::Ptr> channels;
  channels.reserve(channels_.size());
  for (auto& [raw, ch] : channels_) channels.push_back(ch);
  for (auto& ch : channels) ch->close(reason, flush);
}

}  // namespace polis::rpc
