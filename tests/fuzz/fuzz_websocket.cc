// libFuzzer: the WebSocket codec (net/websocket.h) on arbitrary bytes, as the
// frames a client sends and as an upgrade request. Beyond no crash: a reader
// never consumes more than it was given nor returns a message over its cap,
// reads nothing after a close or failure, and gives the same events whether
// the bytes come at once or split in two at any point (the first byte picks
// the split).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_parser.h"
#include "net/websocket.h"

namespace {

constexpr size_t kMaxMessage = 300;

std::vector<polis::net::ws::Event> readInPieces(std::string_view bytes, size_t split) {
  polis::net::ws::Reader reader(kMaxMessage);
  std::vector<polis::net::ws::Event> events;
  std::string pending;
  for (std::string_view piece : {bytes.substr(0, split), bytes.substr(split)}) {
    pending += piece;
    size_t consumed = reader.read(pending, events);
    if (consumed > pending.size()) std::abort();
    pending.erase(0, consumed);
  }
  return events;
}

bool same(const std::vector<polis::net::ws::Event>& a, const std::vector<polis::net::ws::Event>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].payload != b[i].payload || a[i].code != b[i].code || a[i].reason != b[i].reason) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace polis::net;
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = data[0] % (bytes.size() + 1);

  auto whole = readInPieces(bytes, bytes.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    const auto& e = whole[i];
    if (e.kind == ws::Event::Kind::kMessage && e.payload.size() > kMaxMessage) std::abort();
    bool last = e.kind == ws::Event::Kind::kClose || e.kind == ws::Event::Kind::kFail;
    if (last && i + 1 != whole.size()) std::abort();  // nothing after the end
  }
  if (!same(whole, readInPieces(bytes, split))) std::abort();

  HttpRequest request;
  size_t consumed = 0;
  if (parseHttpRequest(bytes, HttpLimits{}, request, consumed) == HttpParse::kDone) {
    auto h = ws::acceptHandshake(request);
    if ((h.status == 101) != h.error.empty()) std::abort();
  }
  return 0;
}
