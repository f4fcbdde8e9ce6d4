// TcpConnection: one connected TCP socket over a libevent bufferevent.
//
// Ownership: held by shared_ptr (Ptr) by whoever uses it (a channel, a
// session); the bufferevent inside is freed with it. close() never frees
// anything inside the callback that called it: the teardown runs on a later
// loop turn, then on_close fires once.
// Callbacks run behind an exception boundary (base/guard.h): libevent calls
// them with the bufferevent's lock held.
// Threads: loop-thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/event_loop.h"
#include "base/libevent_handles.h"

namespace polis::net {

struct ConnectionOptions {
  // Output bytes queued beyond this close the connection (a peer that does not
  // read must not grow our memory without bound).
  size_t high_water_bytes = 64u << 20;
  // When set, TCP keepalive probes an idle peer and TCP_USER_TIMEOUT drops a
  // connection whose sent data stays unacknowledged: a peer host that died or
  // a network that partitioned is noticed by the kernel within about this
  // long. (A live but stalled process still acknowledges; heartbeats catch it.)
  std::chrono::milliseconds dead_peer_timeout{0};
};

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  using Ptr = std::shared_ptr<TcpConnection>;
  using DataCallback = std::function<void(evbuffer* input)>;
  using CloseCallback = std::function<void(const Ptr&, std::string_view reason)>;

  // Takes over a connected bufferevent. Call start() to begin reading.
  TcpConnection(EventLoop& loop, BufferEventPtr bev, std::string peer, ConnectionOptions options);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  void start(DataCallback on_data, CloseCallback on_close);

  // Append to output() and the bytes go out when the socket is writable;
  // everything appended in one loop turn leaves in as few writes as possible.
  evbuffer* output() const { return bufferevent_get_output(bev_.get()); }
  // What has been read and not yet consumed by the data callback.
  evbuffer* input() const { return bufferevent_get_input(bev_.get()); }
  void send(const void* data, size_t size);
  size_t queuedOutput() const { return evbuffer_get_length(output()); }

  // Stops reading from the socket (the peer's writes back up in TCP) until
  // resumeReading(). Bytes already in input() stay there.
  void pauseReading();
  void resumeReading();

  // Stops reading and writing now; tears down on a later turn.
  void close(std::string_view reason);
  // Stops reading, sends what is queued, then closes.
  void closeAfterFlush(std::string_view reason);
  bool closing() const { return closing_; }

  // A listener counts the connections it accepted until they are admitted
  // (e.g. authenticated) or closed; see TcpServer. `slot` is released then.
  void holdAdmissionSlot(std::shared_ptr<void> slot) { admission_slot_ = std::move(slot); }
  void admit() { admission_slot_.reset(); }

  uint64_t id() const { return id_; }
  const std::string& peer() const { return peer_; }
  EventLoop& loop() const { return loop_; }

 private:
  static void onRead(bufferevent*, void* arg);
  static void onWrite(bufferevent*, void* arg);
  static void onEvent(bufferevent*, short what, void* arg);
  static void onOutputChanged(evbuffer*, const evbuffer_cb_info* info, void* arg);
  void finishClose();
  void applySocketOptions();

  EventLoop& loop_;
  BufferEventPtr bev_;
  std::string peer_;
  ConnectionOptions options_;
  uint64_t id_;
  DataCallback on_data_;
  CloseCallback on_close_;
  std::shared_ptr<void> admission_slot_;
  size_t input_seen_ = 0;  // input bytes already counted in bytes_in
  bool closing_ = false;
  bool flushing_ = false;
  bool reading_paused_ = false;
  std::string close_reason_;
};

// "127.0.0.1:5000" / "[::1]:5000" for an IPv4/IPv6 socket address.
std::string formatAddress(const sockaddr* addr);
// The host part of such an address: "127.0.0.1", "::1".
std::string hostPart(std::string_view address);

}  // namespace polis::net
