#include "rpc/rpc_server.h"

#include <vector>

namespace polis::rpc {

RpcServer::RpcServer(EventLoop& loop, const Dispatcher& dispatcher, ChannelOptions options, std::string host,
                     uint16_t port, net::ConnectionOptions conn_options)
    : loop_(loop), dispatcher_(dispatcher), options_(std::move(options)),
      tcp_(loop, std::move(host), port, conn_options) {}

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
  auto ch = Channel::start(
      std::move(conn), dispatcher_, options_,
      [this](const Channel::Ptr& c) { if (on_ready_) on_ready_(c); },
      [this](const Channel::Ptr& c) {
        auto keep = c;
        channels_.erase(c.get());
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
