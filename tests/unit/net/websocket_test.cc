// The WebSocket codec against RFC 6455: the handshake's accept and refusals,
// every framing rule a client can break, fragments with control frames
// between them, and the server's own frames byte for byte.
#include "net/websocket.h"

#include <gtest/gtest.h>

namespace polis::net::ws {
namespace {

// A client's frame: masked unless told otherwise; `len_form` forces a longer
// length encoding than needed (126 or 127) to test the shortest-form rule.
std::string clientFrame(uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true,
                        uint8_t rsv = 0, int len_form = 0) {
  std::string out;
  out += static_cast<char>((fin ? 0x80 : 0) | rsv | opcode);
  uint8_t mask_bit = masked ? 0x80 : 0;
  size_t n = payload.size();
  if (len_form == 0 && n < 126) {
    out += static_cast<char>(mask_bit | n);
  } else if ((len_form == 0 && n <= 0xffff) || len_form == 126) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((static_cast<uint64_t>(n) >> (8 * i)) & 0xff);
  }
  const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) out.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < n; ++i) out += static_cast<char>(payload[i] ^ (masked ? mask[i & 3] : 0));
  return out;
}

std::vector<Event> readAll(std::string_view bytes, size_t max_message = 1024) {
  Reader reader(max_message);
  std::vector<Event> events;
  size_t consumed = reader.read(bytes, events);
  if (!reader.finished()) {
    EXPECT_EQ(consumed, bytes.size());
  }
  return events;
}

uint16_t failCode(std::string_view bytes, size_t max_message = 1024) {
  auto events = readAll(bytes, max_message);
  if (events.empty() || events.back().kind != Event::Kind::kFail) {
    ADD_FAILURE() << "no failure";
    return 0;
  }
  return events.back().code;
}

HttpRequest upgrade(std::vector<std::pair<std::string, std::string>> extra = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/ws";
  r.headers = {{"host", "127.0.0.1"},
               {"upgrade", "websocket"},
               {"connection", "Upgrade"},
               {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
               {"sec-websocket-version", "13"}};
  for (auto& h : extra) {
    std::erase_if(r.headers, [&](const auto& old) { return old.first == h.first; });
    r.headers.push_back(h);
  }
  return r;
}

TEST(WebSocket, TheHandshakeAcceptsAsTheRfcShows) {
  EXPECT_EQ(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 §1.3
  auto h = acceptHandshake(upgrade({{"sec-websocket-extensions", "permessage-deflate; client_max_window_bits"}}));
  EXPECT_EQ(h.status, 101) << h.error;
  EXPECT_EQ(h.response,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
      << "permessage-deflate declined by leaving it out";
  auto with_protocol = acceptHandshake(upgrade({{"sec-websocket-protocol", "chat, polis"}}));
  EXPECT_EQ(with_protocol.status, 101);
  EXPECT_NE(with_protocol.response.find("Sec-WebSocket-Protocol: polis\r\n"), std::string::npos);
}

TEST(WebSocket, BadUpgradesAreRefusedWithTheirReason) {
  auto post = upgrade();
  post.method = "POST";
  EXPECT_EQ(acceptHandshake(post).status, 405);
  auto old = acceptHandshake(upgrade({{"sec-websocket-version", "8"}}));
  EXPECT_EQ(old.status, 426);
  EXPECT_NE(old.response.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  for (auto bad : std::vector<std::pair<std::string, std::string>>{
           {"upgrade", "h2c"}, {"connection", "keep-alive"}, {"sec-websocket-key", "c2hvcnQ="},
           {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZR=="},  // low bits set: not canonical
           {"sec-websocket-key", "dGhlIHNhbXBsZSBub25j*Q=="}, {"sec-websocket-protocol", "chat"}}) {
    auto h = acceptHandshake(upgrade({bad}));
    EXPECT_EQ(h.status, 400) << bad.first << ": " << bad.second;
    EXPECT_FALSE(h.error.empty());
    EXPECT_NE(h.response.find("Connection: close"), std::string::npos);
  }
  auto no_host = upgrade();
  no_host.headers.erase(no_host.headers.begin());
  EXPECT_EQ(acceptHandshake(no_host).status, 400);
}

TEST(WebSocket, FragmentsJoinWithControlFramesBetweenThem) {
  std::string bytes = clientFrame(0x2, "hel", false) + clientFrame(0x9, "ping!") + clientFrame(0x0, "lo ", false) +
                      clientFrame(0xA, "") + clientFrame(0x0, "world") + clientFrame(0x2, "") +
                      clientFrame(0x8, std::string("\x03\xe8", 2) + "bye");
  // Byte by byte and at once: the same events.
  for (bool trickle : {false, true}) {
    Reader reader(64);
    std::vector<Event> events;
    std::string pending;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (!trickle) {
        pending = bytes;
        i = bytes.size();
      } else {
        pending += bytes[i];
      }
      pending.erase(0, reader.read(pending, events));
    }
    EXPECT_TRUE(pending.empty());
    ASSERT_EQ(events.size(), 5u);
    EXPECT_EQ(events[0].kind, Event::Kind::kPing);
    EXPECT_EQ(events[0].payload, "ping!");
    EXPECT_EQ(events[1].kind, Event::Kind::kPong);
    EXPECT_EQ(events[2].kind, Event::Kind::kMessage);
    EXPECT_EQ(events[2].payload, "hello world");
    EXPECT_EQ(events[3].kind, Event::Kind::kMessage);
    EXPECT_EQ(events[3].payload, "");
    EXPECT_EQ(events[4].kind, Event::Kind::kClose);
    EXPECT_EQ(events[4].code, 1000);
    EXPECT_EQ(events[4].reason, "bye");
    EXPECT_TRUE(reader.finished());
  }
  auto bare_close = readAll(clientFrame(0x8, ""));
  ASSERT_EQ(bare_close.size(), 1u);
  EXPECT_EQ(bare_close[0].code, 1005) << "no code given";
}

TEST(WebSocket, EveryFramingViolationFailsWithItsCloseCode) {
  EXPECT_EQ(failCode(clientFrame(0x2, "x", true, false)), kProtocolError) << "unmasked";
  EXPECT_EQ(failCode(clientFrame(0x2, "x", true, true, 0x40)), kProtocolError) << "RSV1 (deflate was declined)";
  EXPECT_EQ(failCode(clientFrame(0x3, "x")), kProtocolError) << "reserved data opcode";
  EXPECT_EQ(failCode(clientFrame(0xB, "x")), kProtocolError) << "reserved control opcode";
  EXPECT_EQ(failCode(clientFrame(0x0, "x")), kProtocolError) << "continuation without a message";
  EXPECT_EQ(failCode(clientFrame(0x2, "a", false) + clientFrame(0x2, "b")), kProtocolError) << "interleaved message";
  EXPECT_EQ(failCode(clientFrame(0x9, "x", false)), kProtocolError) << "fragmented ping";
  EXPECT_EQ(failCode(clientFrame(0x9, std::string(126, 'p'))), kProtocolError) << "ping over 125 bytes";
  EXPECT_EQ(failCode(clientFrame(0x2, "short", true, true, 0, 126)), kProtocolError) << "16-bit length for 5";
  EXPECT_EQ(failCode(clientFrame(0x2, std::string(300, 'x'), true, true, 0, 127), 1024), kProtocolError)
      << "64-bit length for 300";
  EXPECT_EQ(failCode(std::string("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01", 10)), kProtocolError)
      << "64-bit length with the top bit set";
  EXPECT_EQ(failCode(clientFrame(0x1, "text")), kUnsupportedData);
  EXPECT_EQ(failCode(clientFrame(0x8, "\x03")), kProtocolError) << "one-byte close body";
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    std::string body{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    EXPECT_EQ(failCode(clientFrame(0x8, body)), kProtocolError) << code;
  }
  EXPECT_EQ(failCode(clientFrame(0x8, std::string("\x03\xe8\xff", 3))), kInvalidPayload) << "reason not UTF-8";
}

TEST(WebSocket, AnOversizedMessageIsRefusedFromItsHeaderBeforeItsPayloadArrives) {
  std::string header = clientFrame(0x2, std::string(2000, 'x')).substr(0, 8);  // 2 + 2 length + 4 mask
  EXPECT_EQ(failCode(header, 1024), kMessageTooBig);
  // Across fragments too: 600 + 600 > 1024, refused at the second header.
  std::string two = clientFrame(0x2, std::string(600, 'a'), false) + clientFrame(0x0, std::string(600, 'b')).substr(0, 8);
  EXPECT_EQ(failCode(two, 1024), kMessageTooBig);
  auto exact = readAll(clientFrame(0x2, std::string(1024, 'x')), 1024);
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].payload.size(), 1024u);
}

TEST(WebSocket, NothingIsReadAfterACloseOrAFailure) {
  Reader reader(64);
  std::vector<Event> events;
  std::string bytes = clientFrame(0x8, "") + clientFrame(0x2, "late");
  EXPECT_EQ(reader.read(bytes, events), clientFrame(0x8, "").size());
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(reader.read(clientFrame(0x2, "more"), events), 0u);
  EXPECT_EQ(events.size(), 1u);
}

TEST(WebSocket, ServerFramesAreFinalUnmaskedAndInTheShortestForm) {
  EXPECT_EQ(binaryFrame("hi"), std::string("\x82\x02hi", 4));
  EXPECT_EQ(binaryFrame(std::string(125, 'x')).substr(0, 2), std::string("\x82\x7d", 2));
  EXPECT_EQ(binaryFrame(std::string(126, 'x')).substr(0, 4), std::string("\x82\x7e\x00\x7e", 4));
  EXPECT_EQ(binaryFrame(std::string(65535, 'x')).substr(0, 4), std::string("\x82\x7e\xff\xff", 4));
  EXPECT_EQ(binaryFrame(std::string(65536, 'x')).substr(0, 10), std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  EXPECT_EQ(pongFrame("p"), std::string("\x8a\x01p", 3));
  EXPECT_EQ(closeFrame(1009, "too big"), std::string("\x88\x09\x03\xf1too big", 11));
  EXPECT_EQ(closeFrame(1000, std::string(200, 'r')).size(), 2u + 125u) << "the reason is cut to fit";
}

}  // namespace
}  // namespace polis::net::ws
