// Shared pieces of the RPC tests: a scriptable Echo service, a raw peer that
// speaks (or abuses) the wire protocol by hand, and a fixture running an
// RpcServer and an RpcClient on one EventLoop on the test thread.
#pragma once

#include <event2/buffer.h>
#include <gtest/gtest.h>

#include <chrono>
#include <coroutine>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/sleep.h"
#include "net/frame_codec.h"
#include "net/net_metrics.h"
#include "net/tcp_client.h"
#include "polis/bench.polis.h"
#include "rpc/handshake.h"
#include "rpc/header.h"
#include "rpc/rpc_client.h"
#include "rpc/rpc_metrics.h"
#include "rpc/rpc_server.h"
#include "support/loop_runner.h"

namespace polis::rpc::testing {

using namespace std::chrono_literals;
using polis::testing::runFor;
using polis::testing::runUntil;

inline const std::string kSecret = "cluster-secret-for-tests";

// polis_net_frames_rejected_total{reason=...}, read without assuming zero.
inline uint64_t rejectedCount(const std::string& reason) {
  return metrics::Registry::global()
      .counter("polis_net_frames_rejected_total", "Frames rejected as malformed; each closed its connection.",
               {{"reason", reason}})
      .value();
}

inline EchoMsg echoMsg(std::string payload, uint64_t seq = 0) {
  EchoMsg m;
  m.set_payload(std::move(payload));
  m.set_seq(seq);
  return m;
}

// Echo service whose behaviour each test sets: delay, error, throw.
class EchoImpl : public gen::Echo::Service {
 public:
  EchoImpl(EventLoop& loop, std::string prefix = "") : loop_(loop), prefix_(std::move(prefix)) {}

  std::chrono::milliseconds delay{0};
  std::optional<Error> error;
  bool throws = false;
  bool hold_channel = false;  // keep call.channel() across the delay, as a handler pushing back would

  int started = 0;
  int finished = 0;
  uint64_t last_player = 0;
  std::string last_peer;
  std::vector<EchoMsg> pushes;
  std::vector<uint64_t> push_players;

  Task<Result<EchoMsg>> Echo(Call& call, const EchoMsg& req) override {
    ++started;
    last_player = call.player();
    last_peer = call.peer();
    EchoMsg resp = req;
    std::shared_ptr<Channel> held = hold_channel ? call.channel() : nullptr;
    if (delay.count() > 0) co_await sleepFor(loop_, delay);
    ++finished;
    if (throws) throw std::runtime_error("handler exploded");
    if (error) co_return *error;
    resp.set_payload(prefix_ + resp.payload());
    co_return resp;
  }

  Task<void> Push(Call& call, const EchoMsg& req) override {
    pushes.push_back(req);
    push_players.push_back(call.player());
    co_return;
  }

 private:
  EventLoop& loop_;
  std::string prefix_;
};

inline std::shared_ptr<const HandlerTable> tableFor(Service& service) {
  auto table = std::make_shared<HandlerTable>();
  service.bindTo(*table);
  return table;
}

// co_awaits one Echo call and stores the outcome in *out.
inline Task<void> awaitEcho(gen::Echo::Stub stub, EchoMsg req, CallOptions options,
                            std::optional<Result<EchoMsg>>* out) {
  out->emplace(co_await stub.Echo(req, options));
}

// A caller coroutine the test can destroy while it waits: a caller that gave up.
struct Abandonable {
  struct promise_type {
    Abandonable get_return_object() { return Abandonable{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  explicit Abandonable(std::coroutine_handle<promise_type> h) : handle(h) {}
  Abandonable(Abandonable&& o) noexcept : handle(std::exchange(o.handle, {})) {}
  ~Abandonable() { if (handle) handle.destroy(); }
  std::coroutine_handle<promise_type> handle;
};

inline Abandonable abandonableEcho(gen::Echo::Stub stub, EchoMsg req, bool* resumed) {
  auto result = co_await stub.Echo(req);
  (void)result;
  *resumed = true;
}

// Speaks the node-to-node wire protocol by hand over a plain TcpConnection.
// With a secret it runs the handshake as a dialling node would (so the test
// can send frames a real Channel never would); without one it is an
// unauthenticated stranger that only records what the server sends.
class RawPeer {
 public:
  struct Frame {
    Header header;
    std::string body;
  };

  RawPeer(EventLoop& loop, uint16_t port, std::optional<std::string> secret = std::nullopt,
          std::string name = "raw-peer")
      : client_(loop, "127.0.0.1", port), state_(std::make_shared<State>()) {
    state_->name = std::move(name);
    if (secret) state_->handshake.emplace(*secret, Side::kDial);
    // The connection's callbacks hold the state weakly: a RawPeer destroyed
    // while its connection still closes leaves nothing dangling.
    std::weak_ptr<State> weak = state_;
    client_.connect([weak](net::TcpConnection::Ptr c) {
      auto s = weak.lock();
      if (!s) return;
      s->conn = std::move(c);
      s->conn->start([weak](evbuffer* input) { if (auto s = weak.lock()) s->onData(input); },
                     [weak](const net::TcpConnection::Ptr&, std::string_view) {
                       if (auto s = weak.lock()) s->closed = true;
                     });
      if (s->handshake) s->sendFrame(Header{Kind::kHandshake, kChallengeStep, 0, 0}, s->handshake->challenge().SerializeAsString());
    });
  }
  ~RawPeer() {
    client_.stop();
    if (state_->conn) state_->conn->close("test over");
  }

  bool connected() const { return state_->conn != nullptr; }
  // True once we sent our identity: frames sent from now on reach a ready server.
  bool proved() const { return state_->proved; }
  bool closed() const { return state_->closed; }
  // Frames after the handshake.
  const std::vector<Frame>& frames() const { return state_->frames; }
  // Handshake frames the server sent, in order.
  const std::vector<Frame>& handshakeFrames() const { return state_->handshake_frames; }
  // The nonce of the server's challenge ("" until it arrived).
  std::string serverNonce() const {
    for (const auto& f : state_->handshake_frames) {
      Challenge c;
      if (f.header.msg_id == kChallengeStep && c.ParseFromString(f.body)) return c.nonce();
    }
    return "";
  }

  void sendBytes(const std::string& bytes) { state_->sendBytes(bytes); }
  void sendFrame(const Header& h, const std::string& body) { state_->sendFrame(h, body); }

 private:
  struct State {
    net::TcpConnection::Ptr conn;
    std::optional<Handshake> handshake;
    std::string name;
    bool proved = false;
    bool closed = false;
    std::vector<Frame> frames;
    std::vector<Frame> handshake_frames;

    void sendBytes(const std::string& bytes) { conn->send(bytes.data(), bytes.size()); }
    void sendFrame(const Header& h, const std::string& body) { sendBytes(encodeFrame(h, body)); }
    void onHandshake(const Header& h, const std::string& body) {
      handshake_frames.push_back(Frame{h, body});
      if (!handshake) return;  // a stranger only watches
      if (h.msg_id == kChallengeStep) {
        Challenge challenge;
        ASSERT_TRUE(challenge.ParseFromString(body));
        auto proof = handshake->answer(challenge);
        ASSERT_TRUE(proof);
        sendFrame(Header{Kind::kHandshake, kProofStep, 0, 0}, proof->SerializeAsString());
      } else if (h.msg_id == kProofStep) {
        Proof proof;
        ASSERT_TRUE(proof.ParseFromString(body));
        ASSERT_TRUE(handshake->verify(proof)) << "the server's proof did not verify";
        Identity identity;
        identity.set_node(name);
        sendFrame(Header{Kind::kHandshake, kIdentityStep, 0, 0}, identity.SerializeAsString());
        proved = true;
      }
    }
    void onData(evbuffer* input) {
      while (true) {
        std::string_view view;
        if (net::peekFrame(input, net::FrameLimits{kHeaderSize}, view) != net::FrameStatus::kFrame) return;
        auto header = decodeHeader(view);
        std::string body(view.substr(kHeaderSize));
        net::consumeFrame(input, view);
        ASSERT_TRUE(header) << "the server sent a malformed header";
        if (header->kind == Kind::kHandshake) {
          onHandshake(*header, body);
        } else {
          frames.push_back(Frame{*header, std::move(body)});
        }
      }
    }
  };

  net::TcpClient client_;
  std::shared_ptr<State> state_;
};

// An RpcServer serving EchoImpl; connect() adds an RpcClient to it.
class RpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_dispatcher.install(tableFor(impl));
    startServer(options("server"));
  }

  // (Re)starts the server with `o` on a fresh port.
  void startServer(const ChannelOptions& o) {
    server.reset();
    server = std::make_unique<RpcServer>(loop, server_dispatcher, o, "127.0.0.1", 0);
    server->onChannelReady([this](const Channel::Ptr& c) {
      ++server_ready;
      server_channel = c;
    });
    server->onChannelClosed([this](const Channel::Ptr&) { ++server_closed; });
    auto started = server->start();
    ASSERT_TRUE(started.ok()) << started.error().describe();
    port = *started;
  }

  void TearDown() override {
    client.reset();
    server.reset();
    runFor(loop, 10ms);  // let the connections finish closing
  }

  ChannelOptions options(std::string name, std::string secret = kSecret) {
    ChannelOptions o;
    o.local_name = std::move(name);
    o.secret = std::move(secret);
    o.handshake_timeout = 200ms;
    return o;
  }

  void connect(ChannelOptions client_options) {
    client = std::make_unique<RpcClient>(loop, client_dispatcher, std::move(client_options), "127.0.0.1", port,
                                         net::ConnectionOptions{}, net::ReconnectPolicy{10ms, 50ms});
    client->start([this](const Channel::Ptr&) { ++client_ready; }, [this] { ++client_lost; });
    ASSERT_TRUE(runUntil(loop, [this] { return client->channel() && !server_channel.expired(); }))
        << "client never became ready";
  }
  void connect() { connect(options("client")); }

  gen::Echo::Stub stub(CallOptions defaults = {}) { return gen::Echo::Stub(client->channel(), defaults); }

  // Sends one Echo through the callback form and runs the loop until it is answered.
  Result<EchoMsg> echoNow(const EchoMsg& req, CallOptions options = {}) {
    std::optional<Result<EchoMsg>> out;
    stub().Echo(req, [&out](Result<EchoMsg> r) { out.emplace(std::move(r)); }, options);
    if (!runUntil(loop, [&] { return out.has_value(); })) return Error{Errc::kInternal, "test watchdog fired"};
    return std::move(*out);
  }

  EventLoop loop;  // first member: destroyed last
  Dispatcher server_dispatcher;
  Dispatcher client_dispatcher;
  EchoImpl impl{loop};
  std::unique_ptr<RpcServer> server;
  std::unique_ptr<RpcClient> client;
  uint16_t port = 0;
  std::weak_ptr<Channel> server_channel;
  int server_ready = 0;
  int server_closed = 0;
  int client_ready = 0;
  int client_lost = 0;
};

}  // namespace polis::rpc::testing
