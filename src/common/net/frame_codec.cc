#include "net/frame_codec.h"

#include <event2/buffer.h>

namespace polis::net {

std::string_view frameStatusName(FrameStatus s) {
  switch (s) {
    case FrameStatus::kFrame: return "frame";
    case FrameStatus::kNeedMore: return "need_more";
    case FrameStatus::kOversize: return "oversize";
    case FrameStatus::kTooShort: return "too_short";
  }
  return "unknown";
}

FrameStatus peekFrame(evbuffer* input, const FrameLimits& limits, std::string_view& frame) {
  size_t available = evbuffer_get_length(input);
  if (available < kLengthPrefix) return FrameStatus::kNeedMore;
  unsigned char prefix[kLengthPrefix];
  evbuffer_copyout(input, prefix, kLengthPrefix);
  size_t length = getU32(prefix);
  // Reject as soon as the prefix is known: never buffer an oversized frame.
  if (length > limits.max_frame) return FrameStatus::kOversize;
  if (length < limits.min_frame) return FrameStatus::kTooShort;
  if (available < kLengthPrefix + length) return FrameStatus::kNeedMore;
  auto* bytes = evbuffer_pullup(input, static_cast<ev_ssize_t>(kLengthPrefix + length));
  frame = std::string_view(reinterpret_cast<const char*>(bytes) + kLengthPrefix, length);
  return FrameStatus::kFrame;
}

FrameStatus splitFrame(std::string_view bytes, const FrameLimits& limits, std::string_view& frame) {
  if (bytes.size() < kLengthPrefix) return FrameStatus::kNeedMore;
  size_t length = getU32(reinterpret_cast<const unsigned char*>(bytes.data()));
  if (length > limits.max_frame) return FrameStatus::kOversize;
  if (length < limits.min_frame) return FrameStatus::kTooShort;
  if (bytes.size() < kLengthPrefix + length) return FrameStatus::kNeedMore;
  frame = bytes.substr(kLengthPrefix, length);
  return FrameStatus::kFrame;
}

void consumeFrame(evbuffer* input, std::string_view frame) {
  evbuffer_drain(input, kLengthPrefix + frame.size());
}
}  // namespace polis::net
