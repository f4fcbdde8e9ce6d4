#include "net/websocket.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base/utf8.h"
#include "net/frame_codec.h"

namespace polis::net::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kSubprotocol = "polis";  // the one we speak, if the client names any
constexpr size_t kMaxControlPayload = 125;

constexpr uint8_t kContinuation = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

std::string refusal(int status, std::string_view reason, std::string_view why, std::string_view extra_headers = {}) {
  std::string body = std::string(why) + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + std::string(extra_headers) + "\r\n" + body;
}

Handshake refuse(int status, std::string_view reason, std::string why, std::string_view extra_headers = {}) {
  return {status, refusal(status, reason, why, extra_headers), std::move(why)};
}

// A key is the base64 of 16 bytes: 22 characters, the last with its low four
// bits clear, then "==".
bool validKey(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (size_t i = 0; i < 22; ++i) {
    char c = key[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return false;
  }
  return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

// Close codes a peer may put on the wire (§7.4.1, §7.4.2; 1004-1006 and 1015 never).
bool sendableCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

std::string serverFrame(uint8_t opcode, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 10);
  out += static_cast<char>(0x80 | opcode);
  unsigned char len[8];
  if (payload.size() < 126) {
    out += static_cast<char>(payload.size());
  } else if (payload.size() <= 0xffff) {
    out += static_cast<char>(126);
    putU16(len, static_cast<uint16_t>(payload.size()));
    out.append(reinterpret_cast<const char*>(len), 2);
  } else {
    out += static_cast<char>(127);
    putU64(len, payload.size());
    out.append(reinterpret_cast<const char*>(len), 8);
  }
  out += payload;
  return out;
}

}  // namespace

std::string acceptKey(std::string_view key) {
  std::string input(key);
  input += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(n));
}

Handshake acceptHandshake(const HttpRequest& request) {
  if (request.method != "GET") return refuse(405, "Method Not Allowed", "a WebSocket upgrade is a GET", "Allow: GET\r\n");
  if (!request.header("host")) return refuse(400, "Bad Request", "no Host header");
  if (!request.headerHasToken("upgrade", "websocket")) return refuse(400, "Bad Request", "no Upgrade: websocket");
  if (!request.headerHasToken("connection", "upgrade")) return refuse(400, "Bad Request", "no Connection: upgrade");
  const std::string* version = request.header("sec-websocket-version");
  if (!version || *version != "13") {
    return refuse(426, "Upgrade Required", "only WebSocket version 13 is spoken here", "Sec-WebSocket-Version: 13\r\n");
  }
  const std::string* key = request.header("sec-websocket-key");
  if (!key || !validKey(*key)) return refuse(400, "Bad Request", "Sec-WebSocket-Key is not the base64 of 16 bytes");
  std::string protocol_line;
  bool offered_any = false;
  for (const auto& [name, value] : request.headers) offered_any = offered_any || name == "sec-websocket-protocol";
  if (offered_any) {
    if (!request.headerHasToken("sec-websocket-protocol", kSubprotocol)) {
      return refuse(400, "Bad Request", "no subprotocol offered is spoken here (offer \"polis\" or none)");
    }
    protocol_line = "Sec-WebSocket-Protocol: " + std::string(kSubprotocol) + "\r\n";
  }
  // Extensions offered (permessage-deflate) are declined by leaving them out.
  return {101,
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
              acceptKey(*key) + "\r\n" + protocol_line + "\r\n",
          ""};
}

size_t Reader::read(std::string_view input, std::vector<Event>& events) {
  size_t consumed = 0;
  auto fail = [&](uint16_t code, std::string why) {
    events.push_back({Event::Kind::kFail, {}, code, std::move(why)});
    finished_ = true;
    message_.clear();
    return consumed;
  };
  while (!finished_) {
    std::string_view rest = input.substr(consumed);
    if (rest.size() < 2) return consumed;
    const auto* p = reinterpret_cast<const unsigned char*>(rest.data());
    bool fin = p[0] & 0x80;
    uint8_t opcode = p[0] & 0x0f;
    if (p[0] & 0x70) return fail(kProtocolError, "reserved bits set: no extension was agreed");
    if (!(p[1] & 0x80)) return fail(kProtocolError, "a client's frames must be masked");
    size_t header = 2;
    uint64_t length = p[1] & 0x7f;
    if (length == 126) {
      if (rest.size() < 4) return consumed;
      length = getU16(p + 2);
      header = 4;
      if (length < 126) return fail(kProtocolError, "a length not in its shortest form");
    } else if (length == 127) {
      if (rest.size() < 10) return consumed;
      length = getU64(p + 2);
      header = 10;
      if (length >> 63) return fail(kProtocolError, "a 64-bit length with its top bit set");
      if (length <= 0xffff) return fail(kProtocolError, "a length not in its shortest form");
    }
    bool control = opcode & 0x8;
    if (control) {
      if (opcode != kClose && opcode != kPing && opcode != kPong) return fail(kProtocolError, "an unknown opcode");
      if (!fin) return fail(kProtocolError, "a fragmented control frame");
      if (length > kMaxControlPayload) return fail(kProtocolError, "a control frame over 125 bytes");
    } else {
      if (opcode != kContinuation && opcode != kText && opcode != kBinary) return fail(kProtocolError, "an unknown opcode");
      if (opcode == kContinuation && !in_message_) return fail(kProtocolError, "a continuation with no message begun");
      if (opcode != kContinuation && in_message_) return fail(kProtocolError, "a new message before the last one ended");
      if (opcode == kText) return fail(kUnsupportedData, "text messages are not part of this protocol; send binary");
      // Refused from the header alone: an oversized message is never buffered.
      if (length > max_message_ - message_.size()) {
        return fail(kMessageTooBig, "a message over " + std::to_string(max_message_) + " bytes");
      }
    }
    header += 4;  // the masking key
    if (rest.size() < header || rest.size() - header < length) return consumed;
    const unsigned char* mask = p + header - 4;
    std::string payload(rest.substr(header, static_cast<size_t>(length)));
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
    consumed += header + static_cast<size_t>(length);

    if (opcode == kPing) {
      events.push_back({Event::Kind::kPing, std::move(payload), 0, {}});
    } else if (opcode == kPong) {
      events.push_back({Event::Kind::kPong, std::move(payload), 0, {}});
    } else if (opcode == kClose) {
      if (payload.size() == 1) return fail(kProtocolError, "a close frame with a one-byte body");
      uint16_t code = 1005;  // none given
      std::string reason;
      if (payload.size() >= 2) {
        code = getU16(reinterpret_cast<const unsigned char*>(payload.data()));
        if (!sendableCloseCode(code)) return fail(kProtocolError, "close code " + std::to_string(code) + " may not be sent");
        reason = payload.substr(2);
        if (!validUtf8(reason)) return fail(kInvalidPayload, "a close reason that is not UTF-8");
      }
      events.push_back({Event::Kind::kClose, {}, code, std::move(reason)});
      finished_ = true;
    } else {
      message_ += payload;
      in_message_ = !fin;
      if (fin) {
        events.push_back({Event::Kind::kMessage, std::move(message_), 0, {}});
        message_.clear();
      }
    }
  }
  return consumed;
}

std::string binaryFrame(std::string_view payload) { return serverFrame(kBinary, payload); }
std::string pingFrame(std::string_view payload) { return serverFrame(kPing, payload.substr(0, kMaxControlPayload)); }
std::string pongFrame(std::string_view payload) { return serverFrame(kPong, payload.substr(0, kMaxControlPayload)); }

std::string closeFrame(uint16_t code, std::string_view reason) {
  std::string payload(2, '\0');
  putU16(reinterpret_cast<unsigned char*>(payload.data()), code);
  // Cut at a character boundary so the reason stays UTF-8.
  reason = reason.substr(0, kMaxControlPayload - 2);
  while (!reason.empty() && !validUtf8(reason)) reason.remove_suffix(1);
  payload += reason;
  return serverFrame(kClose, payload);
}

}  // namespace polis::net::ws
