#include "rpc/channel.h"

#include <utility>
#include <google/protobuf/message_lite.h>

#include "base/log.h"
#include "net/frame_codec.h"
#include "net/net_metrics.h"
#include "polis/common.pb.h"
#include "rpc/incoming.h"
#include "rpc/rpc_metrics.h"

namespace polis::rpc {
namespace {

constexpr auto kSweepInterval = std::chrono::milliseconds(10);
constexpr size_t kMaxIdleBatchBytes = 64u << 10;  // a larger batch buffer is freed once flushed
enum HandshakeStep : uint16_t { kChallengeStep = 1, kProofStep = 2 };

// Writes the length prefix, header and body: net::kLengthPrefix + frame_size bytes at `p`.
void writeFrame(unsigned char* p, size_t frame_size, const Header& h, const google::protobuf::MessageLite* body) {
  net::putU32(p, static_cast<uint32_t>(frame_size));
  encodeHeader(h, p + net::kLengthPrefix);
  if (body) body->SerializeWithCachedSizesToArray(p + net::kLengthPrefix + kHeaderSize);
}

Errc errcFromWire(int32_t code) {
  if (code <= 0 || code > static_cast<int32_t>(Errc::kInternal)) return Errc::kRemote;
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
  Header h{Kind::kHandshake, kChallengeStep, 0, 0};
  ch->sendFrame(h, &ch->handshake_.challenge());
  ch->handshake_timer_ = ch->loop().runAfter(ch->options_.handshake_timeout, [weak] {
    if (auto c = weak.lock(); c && c->state_ == State::kHandshaking) c->reject("handshake timed out");
  });
  return ch;
}

Channel::Channel(net::TcpConnection::Ptr conn, const Dispatcher& dispatcher, ChannelOptions options)
    : conn_(std::move(conn)), dispatcher_(dispatcher), options_(std::move(options)),
      handshake_(options_.secret, options_.local_name) {}

Channel::~Channel() {
  if (state_ != State::kClosed) close("channel destroyed");
}

void Channel::call(const MethodInfo& info, const google::protobuf::MessageLite& req, const CallOptions& options,
                   ResponseCallback done) {
  if (state_ != State::kReady) {
    done(Error{Errc::kUnavailable, "channel to " + peer_name_ + " is not open"});
    return;
  }
  uint32_t id = next_call_id_++;
  if (id == 0) id = next_call_id_++;  // 0 marks a notify
  if (!sendFrame(Header{Kind::kRequest, info.id, id, options.route_key}, &req)) {
    done(Error{Errc::kInvalidArgument, "request for " + std::string(info.name) + " exceeds the frame limit"});
    return;
  }
  auto now = std::chrono::steady_clock::now();
  auto timeout = options.timeout.count() > 0 ? options.timeout : options_.default_timeout;
  pending_.emplace(id, PendingCall{&info, std::move(done), now, now + timeout});
  deadlines_.emplace(now + timeout, id);
  // The sweep runs only while calls wait: an idle channel costs no wakeups.
  if (!sweep_timer_) {
    std::weak_ptr<Channel> weak = weak_from_this();
    sweep_timer_ = loop().runEvery(kSweepInterval, [weak] { if (auto c = weak.lock()) c->sweepTimeouts(); });
  }
}

Result<void> Channel::notify(const MethodInfo& info, const google::protobuf::MessageLite& msg, uint64_t route_key) {
  if (state_ != State::kReady) return Error{Errc::kUnavailable, "channel to " + peer_name_ + " is not open"};
  if (!sendFrame(Header{Kind::kNotify, info.id, 0, route_key}, &msg)) {
    return Error{Errc::kInvalidArgument, std::string(info.name) + " exceeds the frame limit"};
  }
  return {};
}

void Channel::sendResponse(uint32_t call_id, const MethodInfo& info, const google::protobuf::MessageLite& resp) {
  if (state_ != State::kReady) {
    rpcMetrics().dropped_replies.inc();
    return;
  }
  if (!sendFrame(Header{Kind::kResponse, info.id, call_id, 0}, &resp)) {
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

bool Channel::sendFrame(const Header& h, const google::protobuf::MessageLite* body) {
  size_t body_size = body ? body->ByteSizeLong() : 0;
  size_t frame_size = kHeaderSize + body_size;
  if (frame_size > options_.max_frame_bytes) return false;
  size_t total = net::kLengthPrefix + frame_size;
  if (batching_) {
    size_t at = batch_.size();
    batch_.resize(at + total);
    writeFrame(reinterpret_cast<unsigned char*>(batch_.data() + at), frame_size, h, body);
  } else {
    evbuffer* out = conn_->output();
    evbuffer_iovec vec;
    if (evbuffer_reserve_space(out, static_cast<ev_ssize_t>(total), &vec, 1) < 1) return false;
    writeFrame(static_cast<unsigned char*>(vec.iov_base), frame_size, h, body);
    vec.iov_len = total;
    evbuffer_commit_space(out, &vec, 1);
  }
  net::netMetrics().frames_out.inc();
  return true;
}

void Channel::flushBatch() {
  if (batch_.empty()) return;
  conn_->send(batch_.data(), batch_.size());  // dropped if the connection is closing
  batch_.clear();
  if (batch_.capacity() > kMaxIdleBatchBytes) batch_ = std::string();
}

void Channel::onData(evbuffer* input) {
  auto self = shared_from_this();  // a handler may drop the owner's reference
  batching_ = true;
  readFrames(input);
  batching_ = false;
  flushBatch();
}

void Channel::readFrames(evbuffer* input) {
  net::FrameLimits limits{kHeaderSize, options_.max_frame_bytes};
  while (state_ != State::kClosed) {
    std::string_view frame;
    auto status = net::peekFrame(input, limits, frame);
    if (status == net::FrameStatus::kNeedMore) return;
    if (status != net::FrameStatus::kFrame) {
      reject(net::frameStatusName(status));
      return;
    }
    net::netMetrics().frames_in.inc();
    bool ok = onFrame(frame);
    if (!ok) return;
    net::consumeFrame(input, frame);
  }
}

bool Channel::onFrame(std::string_view frame) {
  auto h = decodeHeader(frame);
  if (!h) {
    reject("bad_header");
    return false;
  }
  std::string_view body = frame.substr(kHeaderSize);
  if (h->kind == Kind::kHandshake) return onHandshakeFrame(*h, body);
  if (state_ != State::kReady) {
    reject("unauthenticated");
    return false;
  }
  if (h->kind == Kind::kRequest || h->kind == Kind::kNotify) {
    onRequest(*h, body);
  } else {
    onReply(*h, body);
  }
  return state_ != State::kClosed;
}

bool Channel::onHandshakeFrame(const Header& h, std::string_view body) {
  log::debug("handshake step {} from {} ({} bytes)", h.msg_id, conn_->peer(), body.size());
  if (state_ != State::kHandshaking) {
    reject("handshake_after_ready");
    return false;
  }
  if (h.msg_id == kChallengeStep && !handshake_.gotChallenge()) {
    Challenge peer;
    if (!peer.ParseFromArray(body.data(), static_cast<int>(body.size())) || peer.node().size() > 256) {
      reject("bad_handshake");
      return false;
    }
    Proof proof = handshake_.answer(peer);
    sendFrame(Header{Kind::kHandshake, kProofStep, 0, 0}, &proof);
    return true;
  }
  Proof proof;
  if (h.msg_id != kProofStep || !handshake_.gotChallenge() ||
      !proof.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    reject("bad_handshake");
    return false;
  }
  if (!handshake_.verify(proof)) {
    rpcMetrics().auth_failures.inc();
    auth_failed_ = true;
    if (options_.outgoing) {
      log::warn("cannot join node \"{}\" at {}: the cluster-secret proofs do not match "
                "(this node's cluster.secret differs from the peer's)", handshake_.peerName(), conn_->peer());
    } else {
      log::warn("refused node \"{}\" at {}: it failed the cluster-secret proof (its cluster.secret differs)",
                handshake_.peerName(), conn_->peer());
    }
    net::netMetrics().rejected("auth_failed");
    close("auth_failed", /*flush=*/true);
    return false;
  }
  state_ = State::kReady;
  authenticated_ = true;
  peer_name_ = handshake_.peerName();
  loop().cancel(std::exchange(handshake_timer_, 0));
  if (on_ready_) on_ready_(shared_from_this());
  return state_ != State::kClosed;
}

void Channel::onRequest(const Header& h, std::string_view body) {
  auto table = dispatcher_.table();
  const HandlerEntry* entry = table->find(h.msg_id);
  if (!entry) {
    rpcMetrics().unknown_methods.inc();
    if (h.kind == Kind::kRequest) {
      MethodInfo unknown{h.msg_id, "unknown", false};
      sendError(h.call_id, unknown, Error{Errc::kNoSuchMethod, "no handler for msg_id " + std::to_string(h.msg_id)});
    }
    return;
  }
  uint32_t call_id = h.kind == Kind::kRequest ? h.call_id : 0;
  entry->handler(Incoming(weak_from_this(), std::move(table), *entry, call_id, h.route_key, body,
                          dispatcher_.inflightCounter()));
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
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - call.sent_at).count();
  if (h.kind == Kind::kResponse) {
    clientStats(*call.info).record(true, seconds);
    call.done(Result<std::string_view>(body));
    return;
  }
  clientStats(*call.info).record(false, seconds);
  RpcError err;
  if (!err.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    call.done(Error{Errc::kBadMessage, "unparsable error reply from " + peer_name_});
    return;
  }
  call.done(Error{errcFromWire(err.code()), err.message()});
}

void Channel::sweepTimeouts() {
  auto now = std::chrono::steady_clock::now();
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    uint32_t id = deadlines_.top().second;
    deadlines_.pop();
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;  // answered already
    PendingCall call = std::move(it->second);
    pending_.erase(it);
    rpcMetrics().timeouts.inc();
    clientStats(*call.info).record(false, std::chrono::duration<double>(now - call.sent_at).count());
    call.done(Error{Errc::kTimeout, std::string(call.info->name) + " to " + peer_name_ + " timed out"});
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
  log::warn("closing connection with {} (node \"{}\"): {}", conn_->peer(), handshake_.peerName(), reason);
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
  auto pending = std::move(pending_);
  pending_.clear();
  deadlines_ = {};
  for (auto& [id, call] : pending) {
    call.done(Error{code, std::string(call.info->name) + " to " + peer_name_ + ": " + why});
  }
}

}  // namespace polis::rpc
