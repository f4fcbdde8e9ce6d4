// libFuzzer: bytes from a node-to-node peer into a real rpc::Channel over a
// socketpair — the length-prefix codec, the header decoder, the handshake
// state machine and request/reply dispatch to a generated service.
//
// The first byte says who the peer is. Even: a stranger — every following
// byte arrives before any handshake. Odd: a peer that knows the secret — the
// harness completes the handshake honestly first, so the rest reaches the
// authenticated paths (requests, notifies, replies, errors).
// Invariants beyond no crash and no sanitizer report: a stranger never makes
// the channel ready, and once the peer is done the channel closes by itself
// (no input leaves it stuck).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/event_loop.h"
#include "base/log.h"
#include "polis/bench.polis.h"
#include "net/frame_codec.h"
#include "rpc/channel.h"

namespace {

using namespace polis;

constexpr const char* kSecret = "fuzz-cluster-secret-0123456789";

class EchoService final : public gen::Echo::Service {
 public:
  Task<Result<EchoMsg>> Echo(Call&, const EchoMsg& req) override { co_return req; }
  Task<void> Push(Call&, const EchoMsg&) override { co_return; }
};

struct World {
  EventLoop loop;
  EchoService service;
  rpc::Dispatcher dispatcher;
  World() {
    log::init("fuzz", "off", log::Format::kHuman);
    auto table = std::make_shared<rpc::HandlerTable>();
    service.bindTo(*table);
    dispatcher.install(table);
  }
  void turn() { event_base_loop(loop.base(), EVLOOP_NONBLOCK); }
};

World& world() {
  static World* w = new World;
  return *w;
}

// Everything the channel has written so far.
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

void writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) {
      world().turn();  // let the channel read; the socket buffer is full
      drain(fd);
      continue;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads the channel's handshake frames out of `out` by step.
std::string stepBody(const std::string& out, uint16_t step) {
  size_t at = 0;
  while (at + 4 + rpc::kHeaderSize <= out.size()) {
    auto* p = reinterpret_cast<const unsigned char*>(out.data() + at);
    size_t len = net::getU32(p);
    if (at + 4 + len > out.size()) break;
    auto h = rpc::decodeHeader(std::string_view(out).substr(at + 4, len));
    if (h && h->kind == rpc::Kind::kHandshake && h->msg_id == step) {
      return out.substr(at + 4 + rpc::kHeaderSize, len - rpc::kHeaderSize);
    }
    at += 4 + len;
  }
  std::abort();  // the channel did not send the step the protocol requires
}

// Plays an honest dialling node until the channel is ready.
void handshake(int peer, const rpc::Channel::Ptr& ch) {
  rpc::Handshake ours(kSecret, rpc::Side::kDial);
  world().turn();
  Challenge theirs;
  if (!theirs.ParseFromString(stepBody(drain(peer), rpc::kChallengeStep))) std::abort();
  auto proof = ours.answer(theirs);
  writeAll(peer, rpc::encodeFrame({rpc::Kind::kHandshake, rpc::kChallengeStep, 0, 0}, ours.challenge().SerializeAsString()) +
                     rpc::encodeFrame({rpc::Kind::kHandshake, rpc::kProofStep, 0, 0}, proof->SerializeAsString()));
  world().turn();
  std::string out = drain(peer);
  Proof their_proof;
  if (!their_proof.ParseFromString(stepBody(out, rpc::kProofStep)) || !ours.verify(their_proof)) std::abort();
  Identity me;
  me.set_node("fuzz-peer");
  writeAll(peer, rpc::encodeFrame({rpc::Kind::kHandshake, rpc::kIdentityStep, 0, 0}, me.SerializeAsString()));
  world().turn();
  if (!ch->ready()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  World& w = world();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) std::abort();
  BufferEventPtr bev(bufferevent_socket_new(w.loop.base(), fds[0], BEV_OPT_CLOSE_ON_FREE));
  auto conn = std::make_shared<net::TcpConnection>(w.loop, std::move(bev), "fuzz-peer:1", net::ConnectionOptions{});
  rpc::ChannelOptions options;
  options.local_name = "fuzz-node";
  options.secret = kSecret;
  options.max_frame_bytes = 1 << 16;
  options.max_inflight_requests = 4;
  bool closed = false;
  auto ch = rpc::Channel::start(conn, w.dispatcher, options, nullptr, [&](const rpc::Channel::Ptr&) { closed = true; });
  bool honest = data[0] & 1;
  if (honest) handshake(fds[1], ch);
  writeAll(fds[1], std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  ::shutdown(fds[1], SHUT_WR);  // the peer is done: EOF must close the channel
  for (int i = 0; i < 10000 && !closed; ++i) {
    w.turn();
    drain(fds[1]);
  }
  if (!closed) std::abort();
  if (!honest && ch->authenticated()) std::abort();  // a stranger got in
  ::close(fds[1]);
  ch.reset();
  conn.reset();
  for (int i = 0; i < 4; ++i) w.turn();  // posted teardown and completions
  return 0;
}
