#include "rpc/channel.h"

#include <algorithm>
#include <utility>
#include <google/protobuf/message_lite.h>

#include "base/guard.h"
#include "base/log.h"
#include "base/log_throttle.h"
#include "base/loop_clock.h"
#include "net/frame_codec.h"
#include "net/net_metrics.h"
#include "polis/common.pb.h"
#include "rpc/incoming.h"
#include "rpc/rpc_metrics.h"

namespace polis::rpc {
namespace {

constexpr auto kSweepInterval = std::chrono::milliseconds(10);
// Output space reserved while a read is handled: a small first piece (one
// reply is the common case, and a large reservation means a large chain),
// larger ones once a read turns out to carry many.
constexpr size_t kFirstBatchChunk = 4u << 10;
constexpr size_t kBatchChunk = 64u << 10;

Errc errcFromWire(int32_t code) {
  if (code <= 0 || code > static_cast<int32_t>(kLastErrc)) return Errc::kRemote;
  return static_cast<Errc>(code);
}

}  // namespace

Channel::Ptr Channel::start(net::TcpConnection::Ptr conn, const Dispatcher& dispatcher, ChannelOptions options,
                            std::function<void(const Ptr&)> on_ready, std::function<void(const Ptr&)> on_closed) {
  auto ch = std::make_shared<Channel>(std::move(conn), dispatcher, std::move(options));
  ch->on_ready_ = std::move(on_ready);
  ch->on_closed_ = std::move(on_closed);
  std::weak_ptr<Channel> weak = ch;
  ch->conn_->start([weak](evbuffer* input) { if (auto c = weak.lock()) c->onData(input); },
                   [weak](const net::TcpConnection::Ptr&, std::string_view reason) {
                     if (auto c = weak.lock()) c->onConnectionClosed(reason);
                   });
  ch->sendFrame(Header{Kind::kHandshake, kChallengeStep, 0, 0}, &ch->handshake_.challenge());
  ch->handshake_timer_ = ch->loop().runAfter(ch->options_.handshake_timeout, [weak] {
    if (auto c = weak.lock(); c && c->state_ == State::kHandshaking) c->reject("handshake timed out");
  });
  return ch;
}

Channel::Channel(net::TcpConnection::Ptr conn, const Dispatcher& dispatcher, ChannelOptions options)
    : conn_(std::move(conn)), dispatcher_(dispatcher), options_(std::move(options)),
      handshake_(options_.secret, options_.outgoing ? Side::kDial : Side::kAccept) {}

Channel::~Channel() {
  if (state_ != State::kClosed) close("channel destroyed");
}

uint32_t Channel::nextCallId() {
  // Ids wrap after 2^32 calls; one still pending (a long call) is skipped,
  // as is 0, which marks a notify. pending_ is far smaller than 2^32.
  uint32_t id;
  do {
    id = next_call_id_++;
  } while (id == 0 || pending_.count(id));
  return id;
}

void Channel::call(const MethodInfo& info, const FrameBody& req, const CallOptions& options, ResponseCallback done) {
  if (state_ != State::kReady) {
    done(Error{Errc::kUnavailable, "channel to " + peer_name_ + " is not open"});
    return;
  }
  uint32_t id = nextCallId();
  if (!sendFrame(Header{Kind::kRequest, info.id, id, options.route_key}, req)) {
    done(Error{Errc::kInvalidArgument, "request for " + std::string(info.name) + " exceeds the frame limit"});
    return;
  }
  auto now = loop_clock::now();
  auto timeout = options.timeout.count() > 0 ? options.timeout : options_.default_timeout;
  pending_.emplace(id, PendingCall{&info, std::move(done), now, now + timeout});
  deadlines_.emplace(now + timeout, id);
  // The sweep runs only while calls wait: an idle channel costs no wakeups.
  if (!sweep_timer_) {
    std::weak_ptr<Channel> weak = weak_from_this();
    sweep_timer_ = loop().runEvery(kSweepInterval, [weak] { if (auto c = weak.lock()) c->sweepTimeouts(); });
  }
}

Result<void> Channel::notify(const MethodInfo& info, const FrameBody& msg, uint64_t route_key) {
  if (state_ != State::kReady) return Error{Errc::kUnavailable, "channel to " + peer_name_ + " is not open"};
  if (!sendFrame(Header{Kind::kNotify, info.id, 0, route_key}, msg)) {
    return Error{Errc::kInvalidArgument, std::string(info.name) + " exceeds the frame limit"};
  }
  return {};
}

void Channel::sendResponse(uint32_t call_id, const MethodInfo& info, const FrameBody& resp) {
  if (state_ != State::kReady) {
    rpcMetrics().dropped_replies.inc();
    return;
  }
  if (!sendFrame(Header{Kind::kResponse, info.id, call_id, 0}, resp)) {
    sendError(call_id, info, Error{Errc::kInternal, "response exceeds the frame limit"});
  }
}

void Channel::sendError(uint32_t call_id, const MethodInfo& info, const Error& error) {
  if (state_ != State::kReady) {
    rpcMetrics().dropped_replies.inc();
    return;
  }
  RpcError body;
  body.set_code(static_cast<int32_t>(error.code));
  body.set_message(error.message.substr(0, 4096));
  sendFrame(Header{Kind::kError, info.id, call_id, 0}, &body);
}

bool Channel::sendFrame(const Header& h, const FrameBody& body) {
  size_t body_size = body.size();
  if (kHeaderSize + body_size > options_.max_frame_bytes) return false;
  size_t total = wireSize(body_size);
  if (batching_) {
    if (batch_.iov_len - batch_used_ < total) {
      size_t chunk = std::max(total, batch_reserved_ ? kBatchChunk : kFirstBatchChunk);
      flushBatch();
      batch_reserved_ = true;
      if (evbuffer_reserve_space(conn_->output(), static_cast<ev_ssize_t>(chunk), &batch_, 1) < 1) {
        batch_ = {};
        return false;
      }
    }
    writeFrame(static_cast<unsigned char*>(batch_.iov_base) + batch_used_, h, body, body_size);
    batch_used_ += total;
  } else {
    evbuffer* out = conn_->output();
    evbuffer_iovec vec;
    if (evbuffer_reserve_space(out, static_cast<ev_ssize_t>(total), &vec, 1) < 1) return false;
    writeFrame(static_cast<unsigned char*>(vec.iov_base), h, body, body_size);
    vec.iov_len = total;
    evbuffer_commit_space(out, &vec, 1);
  }
  net::netMetrics().frames_out.inc();
  return true;
}

// Commits what was written into the reserved space (the reservation is void
// once anything else touches the output buffer, so this runs before that).
void Channel::flushBatch() {
  if (batch_used_ > 0) {
    batch_.iov_len = batch_used_;
    evbuffer_commit_space(conn_->output(), &batch_, 1);
  }
  batch_ = {};
  batch_used_ = 0;
}

void Channel::onData(evbuffer* input) {
  auto self = shared_from_this();  // a handler may drop the owner's reference
  batching_ = true;
  readFrames(input);
  batching_ = false;
  flushBatch();
  batch_reserved_ = false;
}

// Until the peer has proven the secret only handshake-sized frames are
// acceptable; the limit is checked on the length prefix alone.
net::FrameLimits Channel::frameLimits() const {
  return net::FrameLimits{kHeaderSize, state_ == State::kReady ? options_.max_frame_bytes : kMaxHandshakeFrame};
}

// Frames are cut from one contiguous view of the input and drained together
// at the end: per read, not per frame, evbuffer work. The view is taken only
// once the first frame is whole (a large frame arriving over many reads is
// not copied again on each).
void Channel::readFrames(evbuffer* input) {
  std::string_view first;
  auto status = net::peekFrame(input, frameLimits(), first);
  if (status == net::FrameStatus::kNeedMore) return;
  if (status != net::FrameStatus::kFrame) {
    reject(net::frameStatusName(status));
    return;
  }
  size_t length = evbuffer_get_length(input);
  std::string_view bytes(reinterpret_cast<const char*>(evbuffer_pullup(input, static_cast<ev_ssize_t>(length))), length);
  size_t consumed = 0;
  while (state_ != State::kClosed && !reading_paused_) {
    std::string_view frame;
    status = net::splitFrame(bytes.substr(consumed), frameLimits(), frame);
    if (status == net::FrameStatus::kNeedMore) break;
    if (status != net::FrameStatus::kFrame) {
      reject(net::frameStatusName(status));
      return;
    }
    auto h = decodeHeader(frame);
    if (!h) {
      reject("bad_header");
      return;
    }
    bool inbound = h->kind == Kind::kRequest || h->kind == Kind::kNotify;
    if (inbound && state_ == State::kReady && inbound_ >= options_.max_inflight_requests) {
      // Leave the frame in the buffer; inboundFinished() resumes.
      reading_paused_ = true;
      conn_->pauseReading();
      rpcMetrics().read_pauses.inc();
      break;
    }
    net::netMetrics().frames_in.inc();
    if (!onFrame(*h, frame.substr(kHeaderSize))) return;
    consumed += net::kLengthPrefix + frame.size();
  }
  if (state_ != State::kClosed) evbuffer_drain(input, consumed);
}

bool Channel::onFrame(const Header& h, std::string_view body) {
  if (h.kind == Kind::kHandshake) return onHandshakeFrame(h, body);
  if (state_ != State::kReady) {
    reject("unauthenticated");
    return false;
  }
  if (h.kind == Kind::kRequest || h.kind == Kind::kNotify) {
    onRequest(h, body);
  } else {
    onReply(h, body);
  }
  return state_ != State::kClosed;
}

void Channel::onRequest(const Header& h, std::string_view body) {
  const auto& installed = dispatcher_.installed();
  const HandlerEntry* entry = installed->table->find(h.msg_id);
  if (!entry) {
    rpcMetrics().unknown_methods.inc();
    if (h.kind == Kind::kRequest) {
      MethodInfo unknown{h.msg_id, "unknown", false};
      sendError(h.call_id, unknown, Error{Errc::kNoSuchMethod, "no handler for msg_id " + std::to_string(h.msg_id)});
    }
    return;
  }
  uint32_t call_id = h.kind == Kind::kRequest ? h.call_id : 0;
  ++inbound_;
  Incoming in(weak_from_this(), installed, *entry, call_id, h.route_key, body);
  // A handler that throws before taking the call leaves `in` live: its
  // destructor answers with an internal error.
  guarded(entry->info.name, [&] { entry->handler(std::move(in)); });
}

void Channel::inboundFinished() {
  if (inbound_ > 0) --inbound_;
  if (reading_paused_ && inbound_ < options_.max_inflight_requests && state_ != State::kClosed) resumeReading();
}

// Frames already buffered will not trigger another read callback: process
// them on the next turn (never from inside the handler that just finished).
void Channel::resumeReading() {
  reading_paused_ = false;
  conn_->resumeReading();
  std::weak_ptr<Channel> weak = weak_from_this();
  loop().post([weak] {
    if (auto c = weak.lock(); c && c->state_ != State::kClosed && !c->reading_paused_) c->onData(c->conn_->input());
  });
}

void Channel::onReply(const Header& h, std::string_view body) {
  auto it = pending_.find(h.call_id);
  if (it == pending_.end()) {
    rpcMetrics().late_replies.inc();
    return;
  }
  PendingCall call = std::move(it->second);
  pending_.erase(it);
  compactDeadlines();
  double seconds = std::chrono::duration<double>(loop_clock::now() - call.sent_at).count();
  Result<std::string_view> result = Result<std::string_view>(body);
  if (h.kind == Kind::kResponse) {
    clientStats(*call.info).record(true, seconds);
  } else {
    clientStats(*call.info).record(false, seconds);
    RpcError err;
    result = err.ParseFromArray(body.data(), static_cast<int>(body.size()))
                 ? Error{errcFromWire(err.code()), err.message()}
                 : Error{Errc::kBadMessage, "unparsable error reply from " + peer_name_};
  }
  guarded("reply callback", [&] { call.done(std::move(result)); });
}

void Channel::sweepTimeouts() {
  auto now = loop_clock::now();
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    auto [deadline, id] = deadlines_.top();
    deadlines_.pop();
    auto it = pending_.find(id);
    // Answered already — or answered, and the id reused (after a wrap) by a
    // call with a deadline of its own.
    if (it == pending_.end() || it->second.deadline != deadline) continue;
    PendingCall call = std::move(it->second);
    pending_.erase(it);
    rpcMetrics().timeouts.inc();
    clientStats(*call.info).record(false, std::chrono::duration<double>(now - call.sent_at).count());
    Error timeout{Errc::kTimeout, std::string(call.info->name) + " to " + peer_name_ + " timed out"};
    guarded("timeout callback", [&] { call.done(std::move(timeout)); });
    if (state_ == State::kClosed) return;
  }
  if (pending_.empty()) {
    deadlines_ = {};
    if (sweep_timer_) loop().cancel(std::exchange(sweep_timer_, 0));
  }
}

// Answered calls leave their deadline in the heap (removing from the middle of
// a heap is not possible); under steady pipelining the heap would hold every
// call of the last timeout period. Rebuild it from the pending calls once it
// is mostly stale.
void Channel::compactDeadlines() {
  if (deadlines_.size() <= 2 * pending_.size() + 1024) return;
  std::vector<Deadline> live;
  live.reserve(pending_.size());
  for (const auto& [id, call] : pending_) live.emplace_back(call.deadline, id);
  deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
}

void Channel::reject(std::string_view reason) {
  net::netMetrics().rejected(reason);
  if (auto note = log::throttle("channel reject " + std::string(reason))) {
    log::warn("closing connection with {}{}: {}{}", conn_->peer(),
              peer_name_.empty() ? std::string() : " (node \"" + peer_name_ + "\")", reason, *note);
  }
  close(reason);
}

void Channel::close(std::string_view reason, bool flush) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (handshake_timer_) loop().cancel(std::exchange(handshake_timer_, 0));
  if (sweep_timer_) loop().cancel(std::exchange(sweep_timer_, 0));
  if (flush) {
    flushBatch();  // what this read produced goes out before the close
    conn_->closeAfterFlush(reason);
  } else {
    conn_->close(reason);
  }
  failAll(Errc::kConnectionLost, std::string(reason));
}

void Channel::onConnectionClosed(std::string_view reason) {
  auto self = shared_from_this();
  close(reason);
  if (auto cb = std::move(on_closed_)) cb(self);
}

void Channel::failAll(Errc code, const std::string& why) {
  deadlines_ = {};
  if (pending_.empty()) return;
  auto failed = std::make_shared<std::unordered_map<uint32_t, PendingCall>>(std::move(pending_));
  pending_.clear();
  loop().post([failed, code, why, peer = peer_name_] {
    for (auto& entry : *failed) {
      PendingCall& call = entry.second;
      Error error{code, std::string(call.info->name) + " to " + peer + ": " + why};
      guarded("reply callback", [&] { call.done(std::move(error)); });
    }
  });
}

}  // namespace polis::rpc
