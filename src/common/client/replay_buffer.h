// ReplayBuffer: what a session sent its client and the client has not yet
// acknowledged, so that a client that lost its connection and resumes misses
// nothing.
//
// Every frame the server sends on a session — responses and pushes alike —
// takes the next position in the session's stream: 1, 2, 3, … A client
// counts the frames it receives and acknowledges that count (Ping and Hello's
// last_received); the buffer then drops every frame at or below it. On a
// resume from count n, the frames after n are sent again, in order. (A push
// carries its position in the frame's seq; a response carries its request's
// seq, and its position is implied by the order.)
//
// Bounds: `max_bytes` of frames and `max_age` for the oldest unacknowledged
// one. The buffer never drops an unacknowledged frame by itself — that would
// break the promise of a lossless resume — it reports exceeded() and the
// session layer ends the session (a client that reads too slowly, or stopped
// acknowledging). A client acknowledging more than was sent is lying: refused.
// Threads: one session's, on its loop thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace polis::client {

class ReplayBuffer {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    size_t max_bytes = 256 * 1024;
    std::chrono::milliseconds max_age{60000};
  };

  explicit ReplayBuffer(Limits limits) : limits_(limits) {}

  // The position the next frame will take (a push writes it into its seq).
  uint64_t nextPosition() const { return sent_ + 1; }
  // Keeps a frame just sent; returns its position.
  uint64_t append(std::string frame, Clock::time_point now);

  enum class Ack { kOk, kAhead };
  // The client has received `count` frames. An old count (below what it
  // acknowledged before) changes nothing; one above what was sent is kAhead.
  Ack acknowledge(uint64_t count);

  // The frames after `count`, oldest first, to send again on a resume; nullopt
  // when the stream cannot be continued from there: `count` is above what was
  // sent, or below what was acknowledged (those frames are gone).
  std::optional<std::vector<std::string_view>> after(uint64_t count) const;

  // Over max_bytes, or the oldest unacknowledged frame older than max_age.
  bool exceeded(Clock::time_point now) const;

  uint64_t sent() const { return sent_; }
  uint64_t acknowledged() const { return acked_; }
  size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    std::string frame;
    Clock::time_point sent_at;
  };
  Limits limits_;
  std::deque<Entry> entries_;  // positions acked_ + 1 .. sent_
  uint64_t sent_ = 0;
  uint64_t acked_ = 0;
  size_t bytes_ = 0;
};

}  // namespace polis::client
