#include "rpc/incoming.h"

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/loop_clock.h"
#include "rpc/channel.h"
#include "rpc/handler_table.h"
#include "rpc/rpc_metrics.h"

namespace polis::rpc {

Incoming::Incoming(std::weak_ptr<Channel> channel, std::shared_ptr<const InstalledTable> installed,
                   const HandlerEntry& entry, uint32_t call_id, uint64_t route_key, std::string_view body)
    : channel_(std::move(channel)), installed_(std::move(installed)), entry_(&entry), call_id_(call_id),
      route_key_(route_key), body_(body), started_(loop_clock::now()) {
  installed_->inflight->fetch_add(1, std::memory_order_relaxed);
}

Incoming::Incoming(Incoming&& other) noexcept
    : channel_(std::move(other.channel_)), installed_(std::move(other.installed_)), entry_(other.entry_),
      call_id_(other.call_id_), route_key_(other.route_key_), body_(other.body_), started_(other.started_),
      live_(std::exchange(other.live_, false)) {}

Incoming::~Incoming() {
  // A notify is done when its handler finishes; a request nobody answered is a
  // handler bug (or its coroutine was cancelled at shutdown), but the caller
  // still deserves an answer rather than a timeout.
  if (live_ && !isNotify()) {
    fail(Error{Errc::kInternal, "handler finished without replying"});
  } else if (live_) {
    finish(channel_.lock().get(), true);
  }
}

const MethodInfo& Incoming::method() const { return entry_->info; }

void Incoming::reply(const FrameBody& response) {
  if (!live_) return;
  auto ch = channel_.lock();
  if (!isNotify()) {
    if (ch) {
      ch->sendResponse(call_id_, entry_->info, response);
    } else {
      rpcMetrics().dropped_replies.inc();
    }
  }
  finish(ch.get(), true);
}

void Incoming::fail(const Error& error) {
  if (!live_) return;
  auto ch = channel_.lock();
  if (isNotify()) {
    if (auto note = log::throttle("notify failed " + std::string(entry_->info.name))) {
      log::warn("notify {} failed: {}{}", entry_->info.name, error.describe(), *note);
    }
  } else if (ch) {
    ch->sendError(call_id_, entry_->info, error);
  } else {
    rpcMetrics().dropped_replies.inc();
  }
  finish(ch.get(), false);
}

void Incoming::finish(Channel* channel, bool success) {
  live_ = false;
  double seconds = std::chrono::duration<double>(loop_clock::now() - started_).count();
  entry_->stats->record(success, seconds);
  installed_->inflight->fetch_sub(1, std::memory_order_relaxed);
  if (channel) channel->inboundFinished();
}

}  // namespace polis::rpc
