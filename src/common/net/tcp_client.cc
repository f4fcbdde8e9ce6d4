#include "net/tcp_client.h"

#include <utility>

#include "base/log.h"
#include "base/log_throttle.h"

namespace polis::net {

TcpClient::TcpClient(EventLoop& loop, std::string host, uint16_t port, ConnectionOptions options,
                     ReconnectPolicy policy)
    : loop_(loop), host_(std::move(host)), port_(port), options_(options), policy_(policy),
      backoff_(policy.initial) {}

TcpClient::~TcpClient() { stop(); }

void TcpClient::connect(ConnectedCallback on_connected) {
  on_connected_ = std::move(on_connected);
  stopped_ = false;
  dial();
}

void TcpClient::stop() {
  stopped_ = true;
  if (retry_timer_) loop_.cancel(std::exchange(retry_timer_, 0));
  if (connect_timer_) loop_.cancel(std::exchange(connect_timer_, 0));
  dialing_.reset();
}

void TcpClient::dial() {
  retry_timer_ = 0;
  if (stopped_) return;
  auto addr = numericAddress(host_, port_);
  if (!addr) {
    log::error("cannot dial {}: {}", endpoint(), addr.error().message);
    return;
  }
  dialing_.reset(bufferevent_socket_new(loop_.base(), -1, BEV_OPT_CLOSE_ON_FREE));
  bufferevent_setcb(dialing_.get(), nullptr, nullptr, &TcpClient::onConnectEvent, this);
  if (bufferevent_socket_connect(dialing_.get(), const_cast<sockaddr*>(addr->get()), static_cast<int>(addr->length)) !=
      0) {
    dialing_.reset();
    scheduleRetry();
    return;
  }
  connect_timer_ = loop_.runAfter(policy_.connect_timeout, [this] {
    connect_timer_ = 0;
    if (auto note = log::throttle("connect timeout " + endpoint())) {
      log::warn("connecting to {} timed out after {} ms; retrying{}", endpoint(), policy_.connect_timeout.count(),
                *note);
    }
    dialing_.reset();  // a timer callback, not the bufferevent's own: freeing it here is fine
    scheduleRetry();
  });
}

void TcpClient::onConnectEvent(bufferevent*, short what, void* arg) {
  auto* self = static_cast<TcpClient*>(arg);
  if (self->connect_timer_) self->loop_.cancel(std::exchange(self->connect_timer_, 0));
  if (!(what & BEV_EVENT_CONNECTED)) {
    self->dialFailed();
    return;
  }
  auto conn = std::make_shared<TcpConnection>(self->loop_, std::move(self->dialing_), self->endpoint(),
                                              self->options_);
  self->on_connected_(std::move(conn));
}

void TcpClient::dialFailed() {
  // Freeing the bufferevent inside its own callback is not allowed: defer.
  loop_.post([bev = std::make_shared<BufferEventPtr>(std::move(dialing_))] {});
  scheduleRetry();
}

void TcpClient::connectionLost() {
  if (!stopped_ && !retry_timer_ && !dialing_) scheduleRetry();
}

void TcpClient::scheduleRetry() {
  if (stopped_ || retry_timer_) return;
  retry_timer_ = loop_.runAfter(backoff_, [this] { dial(); });
  backoff_ = std::min(backoff_ * 2, std::max(policy_.max, backoff_));
}

}  // namespace polis::net
