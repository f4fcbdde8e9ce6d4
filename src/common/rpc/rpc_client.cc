#include "rpc/rpc_client.h"

namespace polis::rpc {

namespace {
constexpr std::chrono::milliseconds kAuthFailureHoldOff{5000};
ChannelOptions withOutgoing(ChannelOptions o) {
  o.outgoing = true;
  return o;
}
}  // namespace

RpcClient::RpcClient(EventLoop& loop, const Dispatcher& dispatcher, ChannelOptions options, std::string host,
                     uint16_t port, net::ConnectionOptions conn_options, net::ReconnectPolicy policy)
    : dispatcher_(dispatcher), options_(withOutgoing(std::move(options))),
      tcp_(loop, std::move(host), port, conn_options, policy) {}

RpcClient::~RpcClient() { stop(); }

void RpcClient::start(std::function<void(const Channel::Ptr&)> on_ready, std::function<void()> on_lost) {
  on_ready_ = std::move(on_ready);
  on_lost_ = std::move(on_lost);
  tcp_.connect([this](net::TcpConnection::Ptr conn) { onConnected(std::move(conn)); });
}

void RpcClient::stop() {
  tcp_.stop();
  if (auto ch = std::move(channel_)) {
    ch->detach();
    ch->close("client stopped");
  }
}

void RpcClient::reconnect(std::string_view reason) {
  // The close callback below clears channel_, reports the loss and schedules the dial.
  if (channel_) channel_->close(reason);
}

void RpcClient::onConnected(net::TcpConnection::Ptr conn) {
  channel_ = Channel::start(
      std::move(conn), dispatcher_, options_,
      [this](const Channel::Ptr& c) {
        tcp_.resetBackoff();
        if (on_ready_) on_ready_(c);
      },
      [this](const Channel::Ptr& c) {
        if (channel_ != c) return;  // an older channel, already replaced
        bool was_ready = c->authenticated();
        channel_.reset();
        // A peer with another secret will refuse us every time: retry slowly
        // rather than fill both nodes' logs.
        if (c->authFailed()) {
          auth_failed_ = true;
          tcp_.holdOff(kAuthFailureHoldOff);
        }
        tcp_.connectionLost();
        if (was_ready && on_lost_) on_lost_();
      });
}

}  // namespace polis::rpc
