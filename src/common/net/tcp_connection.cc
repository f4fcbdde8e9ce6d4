#include "net/tcp_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "base/guard.h"
#include "base/log.h"
#include "base/loop_clock.h"
#include "net/net_metrics.h"

namespace polis::net {
namespace {

uint64_t nextConnectionId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

std::string formatAddress(const sockaddr* addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

std::string hostPart(std::string_view address) {
  if (address.starts_with('[')) {
    auto end = address.find(']');
    return std::string(address.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
  }
  return std::string(address.substr(0, address.rfind(':')));
}

TcpConnection::TcpConnection(EventLoop& loop, BufferEventPtr bev, std::string peer, ConnectionOptions options)
    : loop_(loop), bev_(std::move(bev)), peer_(std::move(peer)), options_(options), id_(nextConnectionId()) {
  applySocketOptions();
  evbuffer_add_cb(output(), &TcpConnection::onOutputChanged, this);
  auto& m = netMetrics();
  m.connections.add(1);
  m.connections_total.inc();
}

TcpConnection::~TcpConnection() {
  netMetrics().connections.add(-1);
}

void TcpConnection::applySocketOptions() {
  int fd = bufferevent_getfd(bev_.get());
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto timeout = options_.dead_peer_timeout;
  if (timeout.count() <= 0) return;
  // Probe after half the timeout of silence, three probes in the other half.
  int idle = std::max<int>(1, static_cast<int>(timeout.count() / 2000));
  int interval = std::max<int>(1, static_cast<int>(timeout.count() / 6000));
  int probes = 3;
  auto user_timeout = static_cast<unsigned>(timeout.count());
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
}

void TcpConnection::start(DataCallback on_data, CloseCallback on_close) {
  loop_.assertInLoopThread();
  on_data_ = std::move(on_data);
  on_close_ = std::move(on_close);
  bufferevent_setcb(bev_.get(), &TcpConnection::onRead, &TcpConnection::onWrite, &TcpConnection::onEvent, this);
  bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
}

void TcpConnection::send(const void* data, size_t size) {
  if (closing_) return;
  evbuffer_add(output(), data, size);
}

void TcpConnection::pauseReading() {
  if (closing_ || reading_paused_) return;
  reading_paused_ = true;
  bufferevent_disable(bev_.get(), EV_READ);
}

void TcpConnection::resumeReading() {
  if (closing_ || flushing_ || !reading_paused_) return;
  reading_paused_ = false;
  bufferevent_enable(bev_.get(), EV_READ);
}

void TcpConnection::onRead(bufferevent*, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  Ptr keep = self->shared_from_this();  // the handler may drop the last other reference
  loop_clock::refresh();
  evbuffer* input = self->input();
  size_t length = evbuffer_get_length(input);
  netMetrics().bytes_in.inc(length - self->input_seen_);
  if (!self->closing_ && self->on_data_) {
    if (!guarded("connection read callback", [&] { self->on_data_(input); })) {
      self->close("read callback failed");
    }
  }
  self->input_seen_ = evbuffer_get_length(input);
}

void TcpConnection::onWrite(bufferevent*, void* arg) {
  // The default write low-water mark is 0: this runs when output is empty.
  auto* self = static_cast<TcpConnection*>(arg);
  if (self->flushing_) self->close(self->close_reason_);
}

void TcpConnection::onEvent(bufferevent*, short what, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  if (what & BEV_EVENT_EOF) {
    self->close("peer closed");
  } else if (what & BEV_EVENT_ERROR) {
    self->close(std::string("socket error: ") + evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
  }
}

void TcpConnection::onOutputChanged(evbuffer* buf, const evbuffer_cb_info* info, void* arg) {
  auto* self = static_cast<TcpConnection*>(arg);
  auto& m = netMetrics();
  if (info->n_deleted) m.bytes_out.inc(info->n_deleted);
  if (info->n_added && evbuffer_get_length(buf) > self->options_.high_water_bytes && !self->closing_) {
    m.slow_consumer_closes.inc();
    self->close("output passed the high-water mark (peer not reading)");
  }
}

void TcpConnection::close(std::string_view reason) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = std::string(reason);
  bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
  loop_.post([self = shared_from_this()] { self->finishClose(); });
}

void TcpConnection::closeAfterFlush(std::string_view reason) {
  if (closing_ || flushing_) return;
  if (queuedOutput() == 0) {
    close(reason);
    return;
  }
  flushing_ = true;
  close_reason_ = std::string(reason);
  bufferevent_disable(bev_.get(), EV_READ);
}

void TcpConnection::finishClose() {
  // Drop the socket now; the bufferevent object itself goes with *this.
  evbuffer_remove_cb(output(), &TcpConnection::onOutputChanged, this);
  bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
  evutil_closesocket(bufferevent_getfd(bev_.get()));
  bufferevent_setfd(bev_.get(), -1);
  admission_slot_.reset();
  auto on_close = std::move(on_close_);
  on_data_ = nullptr;
  if (on_close) guarded("connection close callback", [&] { on_close(shared_from_this(), close_reason_); });
}

}  // namespace polis::net
