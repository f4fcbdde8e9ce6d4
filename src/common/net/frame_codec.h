// Length-prefixed framing shared by node-to-node links and client stream
// transports (DESIGN §3): u32 big-endian length of what follows, then the frame.
// The codec only finds frame boundaries and rejects bad lengths; what is
// inside a frame belongs to the layer above.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

struct evbuffer;

namespace polis::net {

inline constexpr size_t kLengthPrefix = 4;

enum class FrameStatus {
  kFrame,     // `frame` is set; call consume() when done with it
  kNeedMore,  // not a whole frame yet
  kOversize,  // the length exceeds the limit: close the connection
  kTooShort,  // the length is below the minimum frame size: close the connection
};

std::string_view frameStatusName(FrameStatus s);

struct FrameLimits {
  size_t min_frame = 0;             // bytes after the prefix (e.g. a fixed header)
  size_t max_frame = 16 << 20;      // bytes after the prefix
};

// Looks at the front of `input` without removing anything. On kFrame,
// `frame` points at contiguous bytes inside `input` (made contiguous if
// needed) and stays valid until `input` is changed.
FrameStatus peekFrame(evbuffer* input, const FrameLimits& limits, std::string_view& frame);
// Removes the frame that peekFrame returned.
void consumeFrame(evbuffer* input, std::string_view frame);
// The same rules on contiguous bytes: the first frame of `bytes`, which
// takes kLengthPrefix + frame.size() bytes of it.
FrameStatus splitFrame(std::string_view bytes, const FrameLimits& limits, std::string_view& frame);

inline void putU16(unsigned char* p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
inline void putU32(unsigned char* p, uint32_t v) {
  p[0] = v >> 24; p[1] = (v >> 16) & 0xff; p[2] = (v >> 8) & 0xff; p[3] = v & 0xff;
}
inline void putU64(unsigned char* p, uint64_t v) { putU32(p, v >> 32); putU32(p + 4, v & 0xffffffffu); }
inline uint16_t getU16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t getU32(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint64_t getU64(const unsigned char* p) { return uint64_t{getU32(p)} << 32 | getU32(p + 4); }

}  // namespace polis::net
