#include "client/client_frame.h"

namespace polis::client {

std::optional<ClientFrame> parseClientFrame(std::string_view frame) {
  if (frame.size() < kClientHeader) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  return ClientFrame{net::getU16(p), net::getU32(p + 2), frame.substr(kClientHeader)};
}

void appendClientFrame(std::string& out, uint16_t msg_id, uint32_t seq, std::string_view body) {
  unsigned char head[net::kLengthPrefix + kClientHeader];
  net::putU32(head, static_cast<uint32_t>(kClientHeader + body.size()));
  net::putU16(head + 4, msg_id);
  net::putU32(head + 6, seq);
  out.append(reinterpret_cast<const char*>(head), sizeof head);
  out.append(body);
}

}  // namespace polis::client
