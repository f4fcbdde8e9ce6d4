#include "net/tcp_server.h"

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/metrics.h"
#include "net/endpoint.h"

namespace polis::net {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{1000};

bool outOfResources(int err) { return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM; }

void countPause(const std::string& listener, const char* reason) {
  metrics::Registry::global()
      .counter("polis_net_accept_pauses_total", "Times a listener stopped accepting, by reason.",
               {{"listener", listener}, {"reason", reason}})
      .inc();
}

}  // namespace

struct TcpServer::Slots {
  size_t count = 0;
  TcpServer* server = nullptr;  // null once the server is gone
};

namespace {
// Held by an accepted connection until it is admitted or closed.
struct AdmissionSlot {
  std::function<void()> release;
  ~AdmissionSlot() { release(); }
};
}  // namespace

TcpServer::TcpServer(EventLoop& loop, std::string host, uint16_t port, ConnectionOptions options,
                     ListenerOptions listener)
    : loop_(loop), host_(std::move(host)), port_(port), options_(options),
      listener_options_(std::move(listener)), slots_(std::make_shared<Slots>()) {
  slots_->server = this;
}

TcpServer::~TcpServer() {
  slots_->server = nullptr;
  if (backoff_timer_) loop_.cancel(backoff_timer_);
}

std::string TcpServer::where() const { return host_ + ":" + std::to_string(port_); }

size_t TcpServer::unadmitted() const { return slots_->count; }

Result<uint16_t> TcpServer::start(ConnectionCallback on_connection) {
  loop_.assertInLoopThread();
  on_connection_ = std::move(on_connection);
  auto addr = numericAddress(host_, port_);
  if (!addr) return addr.error();
  listener_.reset(evconnlistener_new_bind(loop_.base(), &TcpServer::onAccept, this,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
                                          addr->get(), static_cast<int>(addr->length)));
  if (!listener_) return Error{Errc::kUnavailable, "cannot listen on " + where() + ": " + std::strerror(errno)};
  evconnlistener_set_error_cb(listener_.get(), &TcpServer::onAcceptError);
  port_ = boundPort(evconnlistener_get_fd(listener_.get()));
  return port_;
}

void TcpServer::stopAccepting() {
  listener_.reset();
  if (backoff_timer_) loop_.cancel(std::exchange(backoff_timer_, 0));
}

void TcpServer::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int, void* arg) {
  auto* self = static_cast<TcpServer*>(arg);
  self->backoff_ = std::chrono::milliseconds(0);
  BufferEventPtr bev(bufferevent_socket_new(self->loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE));
  if (!bev) {
    evutil_closesocket(fd);
    return;
  }
  auto conn = std::make_shared<TcpConnection>(self->loop_, std::move(bev), formatAddress(addr), self->options_);
  std::weak_ptr<Slots> weak = self->slots_;
  auto slot = std::make_shared<AdmissionSlot>();
  slot->release = [weak] {
    if (auto s = weak.lock()) {
      --s->count;
      if (s->server) s->server->slotReleased();
    }
  };
  ++self->slots_->count;
  conn->holdAdmissionSlot(std::move(slot));
  self->updateListening();
  self->on_connection_(std::move(conn));
}

void TcpServer::slotReleased() { updateListening(); }

// Pauses accepting at the cap and resumes below it (unless backing off).
void TcpServer::updateListening() {
  if (!listener_) return;
  bool full = slots_->count >= listener_options_.max_unadmitted;
  if (full && !at_cap_) {
    at_cap_ = true;
    evconnlistener_disable(listener_.get());
    countPause(listener_options_.name, "unadmitted_cap");
    if (auto note = log::throttle("accept cap " + where())) {
      log::warn("{} listener {}: {} connections have not authenticated yet; not accepting more until one does "
                "or closes{}", listener_options_.name, where(), slots_->count, *note);
    }
  } else if (!full && at_cap_) {
    at_cap_ = false;
    if (!backoff_timer_) evconnlistener_enable(listener_.get());
  }
}

void TcpServer::onAcceptError(evconnlistener*, void* arg) {
  auto* self = static_cast<TcpServer*>(arg);
  int err = EVUTIL_SOCKET_ERROR();
  if (auto note = log::throttle("accept error " + self->where())) {
    log::warn("accept failed on {}: {}{}", self->where(), evutil_socket_error_to_string(err), *note);
  }
  if (!outOfResources(err) || self->backoff_timer_) return;
  // The pending connection stays in the backlog and the listener stays
  // readable: without a pause this callback would run again at once, forever.
  self->backoff_ = std::min(kMaxBackoff, std::max(kFirstBackoff, self->backoff_ * 2));
  evconnlistener_disable(self->listener_.get());
  countPause(self->listener_options_.name, "out_of_resources");
  self->backoff_timer_ = self->loop_.runAfter(self->backoff_, [self] {
    self->backoff_timer_ = 0;
    if (self->listener_ && !self->at_cap_) evconnlistener_enable(self->listener_.get());
  });
}

}  // namespace polis::net
