// The client frame on stream transports (docs/protocol.md, DESIGN §3): after
// the u32 length prefix (net/frame_codec.h), u16 msg_id, u32 seq, then the
// protobuf body, all big-endian. One codec for the proxy, polis-client, the
// stress tool and the SDKs' C++ core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/frame_codec.h"

namespace polis::client {

inline constexpr size_t kClientHeader = 6;  // msg_id + seq

struct ClientFrame {
  uint16_t msg_id = 0;
  uint32_t seq = 0;
  std::string_view body;  // points into the bytes it was parsed from
};

// The limits a reader applies: at least the header, at most the header and
// `max_body` bytes; a longer length prefix closes the connection before any
// of it is buffered.
inline net::FrameLimits clientFrameLimits(size_t max_body) { return {kClientHeader, kClientHeader + max_body}; }

// One frame's bytes after the length prefix (what net::peekFrame or
// splitFrame returned); nullopt when shorter than the header.
std::optional<ClientFrame> parseClientFrame(std::string_view frame);

// Appends a whole frame, length prefix first, to `out`.
void appendClientFrame(std::string& out, uint16_t msg_id, uint32_t seq, std::string_view body);

}  // namespace polis::client
