// WebSocket (RFC 6455), the server's side, as pure functions of bytes — the
// connection code feeds them and writes what they return, so the protocol
// rules are unit-tested and fuzzed apart from sockets.
//
// Handshake (§4.2): a GET over HTTP/1.1 with `Upgrade: websocket`,
// `Connection: upgrade`, `Sec-WebSocket-Version: 13` and a key that is the
// base64 of 16 bytes; anything else is refused with 400 (426 and the version
// we speak for another version). Extensions the client offers
// (permessage-deflate) are declined by not naming them in the answer, as §9.1
// allows; so every frame must have RSV1-3 clear.
//
// Frames (§5): a client's frames must be masked; lengths must use the
// shortest form; control frames (close, ping, pong) are final and at most 125
// bytes and may come between the fragments of a message; a message's
// fragments are joined up to `max_message` bytes (1009 above it, refused as
// soon as a frame header says so, before its payload is buffered). Polis
// messages are binary: a text message is refused with 1003. A close frame's
// code must be one a peer may send and its reason UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_parser.h"

namespace polis::net::ws {

// Close codes (§7.4.1) this side sends.
inline constexpr uint16_t kNormalClosure = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;

struct Handshake {
  int status = 400;      // 101 when accepted
  std::string response;  // the whole HTTP response to write
  std::string error;     // why it was refused (for the log and the counter)
};

// The answer to an upgrade request (path and origin are the caller's to check).
Handshake acceptHandshake(const HttpRequest& request);
// Sec-WebSocket-Accept for a key: base64(SHA-1(key + the RFC's GUID)).
std::string acceptKey(std::string_view key);

struct Event {
  enum class Kind {
    kMessage,  // a whole binary message in `payload`
    kPing,     // answer with pong(payload)
    kPong,
    kClose,    // the peer closes: `code` (1005 when it sent none) and `reason`; answer with close(code)
    kFail,     // a protocol violation: send close(code, reason), then close the connection
  };
  Kind kind;
  std::string payload;
  uint16_t code = 0;
  std::string reason;
};

class Reader {
 public:
  explicit Reader(size_t max_message) : max_message_(max_message) {}

  // Reads the whole frames at the front of `input`, appending an event for
  // each completed message or control frame; returns the bytes it consumed
  // (the caller keeps the rest for the next call). After a kClose or kFail it
  // consumes nothing more.
  size_t read(std::string_view input, std::vector<Event>& events);
  bool finished() const { return finished_; }

 private:
  size_t max_message_;
  bool in_message_ = false;  // fragments of a message have arrived, not its final one
  std::string message_;
  bool finished_ = false;
};

// Server frames: final, unmasked.
std::string binaryFrame(std::string_view payload);
std::string pingFrame(std::string_view payload);  // at most 125 bytes
std::string pongFrame(std::string_view payload);  // at most 125 bytes
std::string closeFrame(uint16_t code, std::string_view reason);  // reason cut to fit 125 bytes

}  // namespace polis::net::ws
