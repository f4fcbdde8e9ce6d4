// The fixed header of a node-to-node frame (DESIGN §3). After the u32 length
// prefix written by the framing layer:
//   u8  version   (kWireVersion)
//   u8  kind      (Kind below)
//   u16 msg_id    (method id; handshake step for kHandshake)
//   u32 call_id   (pairs a response/error with its request; 0 for notifies)
//   u64 route_key (player id or other affinity key; 0 when unused)
// All big-endian. The protobuf body follows.
//
// writeFrame()/encodeFrame() lay out a whole frame (prefix, header, body):
// the one frame writer the channel, the tests and the benchmarks share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace google::protobuf {
class MessageLite;
}

namespace polis::rpc {

inline constexpr uint8_t kWireVersion = 1;
inline constexpr size_t kHeaderSize = 16;

enum class Kind : uint8_t {
  kRequest = 1,
  kResponse = 2,
  kNotify = 3,
  kError = 4,      // body is polis.RpcError
  kHandshake = 5,  // cluster-secret proof, before anything else
};

struct Header {
  Kind kind = Kind::kRequest;
  uint16_t msg_id = 0;
  uint32_t call_id = 0;
  uint64_t route_key = 0;
};

void encodeHeader(const Header& h, unsigned char out[kHeaderSize]);
// Returns nullopt for a short frame, a wrong version or an unknown kind.
std::optional<Header> decodeHeader(std::string_view frame);

// A frame's body: a message to serialize, or bytes serialized already (what
// plugins and Lua hand over), or nothing.
struct FrameBody {
  const google::protobuf::MessageLite* message = nullptr;
  std::string_view bytes;
  FrameBody() = default;
  FrameBody(const google::protobuf::MessageLite* m) : message(m) {}  // NOLINT: implicit on purpose
  FrameBody(const google::protobuf::MessageLite& m) : message(&m) {}  // NOLINT
  explicit FrameBody(std::string_view b) : bytes(b) {}
  // Computes the message's size (which writeFrame's serialization reuses).
  size_t size() const;
};

// Bytes on the wire for a frame whose body has `body_size` bytes.
inline size_t wireSize(size_t body_size) { return 4 + kHeaderSize + body_size; }
// Writes wireSize(body_size) bytes at `out`; `body_size` is body.size(),
// called first (a message is serialized with its cached size).
void writeFrame(unsigned char* out, const Header& h, const FrameBody& body, size_t body_size);
// The frame with an already serialized body.
std::string encodeFrame(const Header& h, std::string_view body);

}  // namespace polis::rpc
