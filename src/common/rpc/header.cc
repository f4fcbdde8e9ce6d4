#include "rpc/header.h"

#include <cstring>

#include <google/protobuf/message_lite.h>

#include "net/frame_codec.h"

namespace polis::rpc {

static_assert(net::kLengthPrefix == 4, "wireSize() assumes a 4-byte length prefix");

void encodeHeader(const Header& h, unsigned char out[kHeaderSize]) {
  out[0] = kWireVersion;
  out[1] = static_cast<unsigned char>(h.kind);
  net::putU16(out + 2, h.msg_id);
  net::putU32(out + 4, h.call_id);
  net::putU64(out + 8, h.route_key);
}

std::optional<Header> decodeHeader(std::string_view frame) {
  if (frame.size() < kHeaderSize) return std::nullopt;
  auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  if (p[0] != kWireVersion) return std::nullopt;
  if (p[1] < static_cast<uint8_t>(Kind::kRequest) || p[1] > static_cast<uint8_t>(Kind::kHandshake)) {
    return std::nullopt;
  }
  Header h;
  h.kind = static_cast<Kind>(p[1]);
  h.msg_id = net::getU16(p + 2);
  h.call_id = net::getU32(p + 4);
  h.route_key = net::getU64(p + 8);
  return h;
}

size_t FrameBody::size() const { return message ? message->ByteSizeLong() : bytes.size(); }

void writeFrame(unsigned char* out, const Header& h, const FrameBody& body, size_t body_size) {
  net::putU32(out, static_cast<uint32_t>(kHeaderSize + body_size));
  encodeHeader(h, out + net::kLengthPrefix);
  unsigned char* payload = out + net::kLengthPrefix + kHeaderSize;
  if (body.message && body_size) {
    body.message->SerializeWithCachedSizesToArray(payload);
  } else if (!body.bytes.empty()) {
    std::memcpy(payload, body.bytes.data(), body.bytes.size());
  }
}

std::string encodeFrame(const Header& h, std::string_view body) {
  std::string frame(wireSize(body.size()), '\0');
  writeFrame(reinterpret_cast<unsigned char*>(frame.data()), h, FrameBody(body), body.size());
  return frame;
}

}  // namespace polis::rpc
