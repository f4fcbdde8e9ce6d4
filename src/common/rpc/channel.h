// Channel: one authenticated node-to-node connection carrying RPCs both ways.
// Either side may call, notify and serve; the side that accepted the TCP
// connection and the side that dialled are symmetric once the handshake
// (rpc/handshake.h) is done. Before it is done only handshake frames of at
// most kMaxHandshakeFrame bytes are accepted.
//
// Backpressure: at most ChannelOptions::max_inflight_requests requests and
// notifies from the peer are served at once; past that the channel stops
// reading (the peer's writes back up in TCP) and resumes when one finishes.
// Replies queued before the next request are still read. A node whose
// handlers wait on calls back over the same channel must stay below the cap.
//
// Completions: a call's callback runs from the read that delivered its reply
// or from the timeout sweep. Calls failed by close() are completed on a later
// loop turn, never inside close(): close runs in destructors and in other
// objects' callbacks, where resuming a caller could touch what is being torn
// down. If the loop is destroyed first they are dropped (awaiting coroutines
// hold their state weakly and are destroyed by cancelDetachedTasks()).
//
// Ownership: RpcServer / RpcClient own channels through shared_ptr; everyone
// else holds weak_ptr (a call after the channel died simply fails).
// Threads: every method runs on the loop thread that owns the connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/event_loop.h"
#include "base/result.h"
#include "net/frame_codec.h"
#include "net/tcp_connection.h"
#include "rpc/call_options.h"
#include "rpc/handler_table.h"
#include "rpc/handshake.h"
#include "rpc/header.h"
#include "rpc/method.h"

namespace google::protobuf {
class MessageLite;
}

namespace polis::rpc {

struct ChannelOptions {
  std::string local_name;                        // this node's name, sent once the peer proved the secret
  std::string secret;                            // the cluster secret
  std::chrono::milliseconds default_timeout{5000};
  std::chrono::milliseconds handshake_timeout{5000};
  size_t max_frame_bytes = 16u << 20;            // larger frames close the connection (once authenticated)
  size_t max_inflight_requests = 1024;           // peer requests served at once before reading pauses
  bool outgoing = false;                         // we dialled (the handshake's side; log wording)
};

class Channel : public std::enable_shared_from_this<Channel> {
 public:
  using Ptr = std::shared_ptr<Channel>;
  // The body view is valid only during the callback.
  using ResponseCallback = std::function<void(Result<std::string_view>)>;

  // Starts the handshake at once. `dispatcher` serves incoming requests; it
  // must outlive the channel.
  static Ptr start(net::TcpConnection::Ptr conn, const Dispatcher& dispatcher, ChannelOptions options,
                   std::function<void(const Ptr&)> on_ready, std::function<void(const Ptr&)> on_closed);
  ~Channel();

  // A body is a message, or bytes serialized already (FrameBody).
  void call(const MethodInfo& info, const FrameBody& req, const CallOptions& options, ResponseCallback done);
  Result<void> notify(const MethodInfo& info, const FrameBody& msg, uint64_t route_key = 0);

  // Sends a reply for a request this channel dispatched (used by Incoming).
  void sendResponse(uint32_t call_id, const MethodInfo& info, const FrameBody& resp);
  void sendError(uint32_t call_id, const MethodInfo& info, const Error& error);
  // A request or notify this channel dispatched has finished (used by Incoming).
  void inboundFinished();

  bool ready() const { return state_ == State::kReady; }
  // True once the peer passed the handshake, even after the channel closed.
  bool authenticated() const { return authenticated_; }
  // True when the peer's cluster-secret proof failed (the secrets differ).
  bool authFailed() const { return auth_failed_; }
  const std::string& peerName() const { return peer_name_; }
  // Unique for the life of the process (the connection's id); never reused.
  uint64_t id() const { return conn_->id(); }
  const std::string& peerAddress() const { return conn_->peer(); }
  size_t pendingCalls() const { return pending_.size(); }
  // Peer requests being served now (bounded by max_inflight_requests).
  size_t inboundInflight() const { return inbound_; }
  // Timeout bookkeeping entries, answered ones included (bounded; for tests).
  size_t deadlineEntries() const { return deadlines_.size(); }
  EventLoop& loop() { return conn_->loop(); }
  // Fails pending calls with connection_lost (on a later turn) and closes the
  // connection. `flush`: send what is queued first (our handshake proof, so
  // the peer can tell its operator why we left).
  void close(std::string_view reason, bool flush = false);
  // Drops on_ready / on_closed. An owner going away calls this first: the
  // channel may outlive it in a handler's or caller's hands, and those
  // callbacks point into the owner.
  void detach() {
    on_ready_ = nullptr;
    on_closed_ = nullptr;
  }
  // Tests only: the next call id to hand out (to exercise the wrap-around).
  void setNextCallIdForTest(uint32_t id) { next_call_id_ = id; }

  Channel(net::TcpConnection::Ptr conn, const Dispatcher& dispatcher, ChannelOptions options);

 private:
  enum class State { kHandshaking, kReady, kClosed };
  struct PendingCall {
    const MethodInfo* info;
    ResponseCallback done;
    std::chrono::steady_clock::time_point sent_at;
    std::chrono::steady_clock::time_point deadline;
  };
  using Deadline = std::pair<std::chrono::steady_clock::time_point, uint32_t>;

  void onData(evbuffer* input);
  void readFrames(evbuffer* input);
  net::FrameLimits frameLimits() const;
  bool onFrame(const Header& h, std::string_view body);  // false: protocol violation, connection closed
  bool onHandshakeFrame(const Header& h, std::string_view body);
  bool onChallenge(std::string_view body);
  bool onProof(std::string_view body);
  bool onIdentity(std::string_view body);
  void onAuthFailure();
  void onRequest(const Header& h, std::string_view body);
  void onReply(const Header& h, std::string_view body);
  void onConnectionClosed(std::string_view reason);
  uint32_t nextCallId();
  void sweepTimeouts();
  void compactDeadlines();
  void failAll(Errc code, const std::string& why);
  bool sendFrame(const Header& h, const FrameBody& body);
  void flushBatch();
  void reject(std::string_view reason);
  void resumeReading();

  net::TcpConnection::Ptr conn_;
  const Dispatcher& dispatcher_;
  ChannelOptions options_;
  Handshake handshake_;
  State state_ = State::kHandshaking;
  bool peer_proved_ = false;  // the peer's proof verified; its Identity may follow
  std::string peer_name_;     // from the peer's Identity
  bool authenticated_ = false;
  bool auth_failed_ = false;
  std::function<void(const Ptr&)> on_ready_;
  std::function<void(const Ptr&)> on_closed_;

  uint32_t next_call_id_ = 1;
  std::unordered_map<uint32_t, PendingCall> pending_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  TimerId sweep_timer_ = 0;
  TimerId handshake_timer_ = 0;
  size_t inbound_ = 0;          // peer requests and notifies being served
  bool reading_paused_ = false;  // inbound_ reached max_inflight_requests
  // Frames sent while onData runs are written straight into space reserved
  // at the end of the connection's output and committed once when it
  // returns: one commit (one round of evbuffer callbacks) per read, not per reply.
  evbuffer_iovec batch_{};
  size_t batch_used_ = 0;
  bool batch_reserved_ = false;  // this read already reserved once
  bool batching_ = false;
};

}  // namespace polis::rpc
