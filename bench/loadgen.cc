// bench_loadgen: one load generator for both bench servers.
//
// N connections on one libevent loop (one thread). Every request is a valid
// Polis RPC request frame (u32 BE length, 16-byte header kind=request,
// msg_id of Echo.Echo, a fresh call_id, body = a serialized EchoMsg), copied
// from one pre-encoded template with only the call_id patched in. The bare
// echo server sends the same bytes back; the RPC server sends a response frame
// with the same call_id. Either way the generator matches replies by call_id.
//
//   pingpong   each connection keeps exactly one request outstanding
//   pipelined  each connection keeps a window of --depth requests outstanding
//
// Against the RPC server (--server=rpc) each connection first does the
// cluster-secret handshake with polis::rpc::Handshake; against the echo server
// it does not. Warm-up, then a fixed measuring window; latency is from the
// loop turn that queued a request to the loop turn that read its reply.
// Prints one JSON line on stdout (with the count of error replies, and with
// --window-ms the worst latency of each window). Bounded: at most 1000 connections, 60 s of
// measuring, and a 10 s deadline for connecting and the handshake.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_args.h"
#include "latency_histogram.h"
#include "base/libevent_handles.h"
#include "net/frame_codec.h"
#include "polis/bench.polis.h"
#include "polis/common.pb.h"
#include "rpc/handshake.h"
#include "rpc/header.h"

namespace polis::bench {
namespace {

constexpr uint16_t kEchoMsgId = gen::Echo::kEcho.id;
constexpr size_t kMaxFrame = 1u << 20;
constexpr size_t kReadChunk = 256u << 10;

[[noreturn]] void fatal(const std::string& why) {
  std::fprintf(stderr, "bench_loadgen: %s\n", why.c_str());
  std::exit(1);
}

uint64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

using rpc::encodeFrame;

struct Config {
  std::string server;  // "echo" or "rpc"
  std::string mode;    // "pingpong" or "pipelined"
  uint16_t port = 0;
  int conns = 1;
  int depth = 1;
  int payload = 64;
  int warmup_ms = 1000;
  int duration_ms = 3000;
  int window_ms = 0;  // > 0: also report the worst latency of every window of that length
  std::string secret;
};

class LoadGen;

// One client connection: a non-blocking socket with its own flat buffers
// (no bufferevent, so the generator spends as little as possible per frame).
class Connection {
 public:
  Connection(LoadGen& gen, int fd, bool handshake);
  ~Connection() {
    read_event_.reset();  // events go before the socket they watch
    write_event_.reset();
    ::close(fd_);
  }
  void start();
  // Tops the window up to the configured depth.
  void refill(uint64_t now);

 private:
  static void onEvent(evutil_socket_t, short what, void* arg);
  void onReadable();
  void onFrame(const rpc::Header& h, std::string_view body, uint64_t now);
  void onHandshake(const rpc::Header& h, std::string_view body);
  void queue(const std::string& bytes);
  void flush();

  LoadGen& gen_;
  int fd_;
  std::unique_ptr<rpc::Handshake> handshake_;  // null against the echo server
  bool ready_ = false;
  EventPtr read_event_;
  EventPtr write_event_;
  std::vector<char> in_;
  size_t in_len_ = 0;
  std::string out_;
  size_t out_sent_ = 0;
  uint32_t next_call_id_ = 1;
  uint32_t outstanding_ = 0;
  std::vector<uint64_t> sent_at_;  // by call_id & mask_
  std::vector<uint32_t> sent_id_;
  uint32_t mask_;
};

class LoadGen {
 public:
  explicit LoadGen(Config config);
  void run();

  const Config& config() const { return config_; }
  event_base* base() const { return base_.get(); }
  const std::string& requestTemplate() const { return request_; }
  bool sending() const { return phase_ == Phase::kWarmup || phase_ == Phase::kMeasure; }
  void onReady();
  // An answer (a reply, or an error reply when `error`) to a call sent `latency_ns` ago.
  void onReply(uint64_t latency_ns, bool error, uint64_t now) {
    if (phase_ != Phase::kMeasure) return;
    histogram_.record(latency_ns);
    errors_ += error;
    if (config_.window_ms > 0) {
      size_t w = static_cast<size_t>((now - measure_start_) / (uint64_t(config_.window_ms) * 1000000u));
      if (windows_.size() <= w) windows_.resize(w + 1, 0);
      windows_[w] = std::max(windows_[w], latency_ns);
    }
  }

 private:
  enum class Phase { kConnecting, kWarmup, kMeasure, kDone };
  static void onTimer(evutil_socket_t, short, void* arg);
  void advance();
  void report() const;

  Config config_;
  EventBasePtr base_;
  EventPtr timer_;
  std::string request_;
  std::vector<std::unique_ptr<Connection>> conns_;
  int ready_ = 0;
  Phase phase_ = Phase::kConnecting;
  LatencyHistogram histogram_;
  uint64_t errors_ = 0;
  std::vector<uint64_t> windows_;  // worst latency per window, ns
  uint64_t measure_start_ = 0;
  uint64_t measure_end_ = 0;
};

Connection::Connection(LoadGen& gen, int fd, bool handshake) : gen_(gen), fd_(fd), in_(kReadChunk) {
  if (handshake) handshake_ = std::make_unique<rpc::Handshake>(gen.config().secret, rpc::Side::kDial);
  uint32_t ring = std::bit_ceil(static_cast<uint32_t>(gen.config().depth)) * 2;
  mask_ = ring - 1;
  sent_at_.assign(ring, 0);
  sent_id_.assign(ring, 0);
  read_event_.reset(event_new(gen.base(), fd, EV_READ | EV_PERSIST, &Connection::onEvent, this));
  write_event_.reset(event_new(gen.base(), fd, EV_WRITE, &Connection::onEvent, this));
}

void Connection::start() {
  event_add(read_event_.get(), nullptr);
  if (!handshake_) {
    ready_ = true;
    gen_.onReady();
    return;
  }
  queue(encodeFrame(rpc::Header{rpc::Kind::kHandshake, rpc::kChallengeStep, 0, 0},
                    handshake_->challenge().SerializeAsString()));
  flush();
}

void Connection::refill(uint64_t now) {
  const std::string& frame = gen_.requestTemplate();
  auto depth = static_cast<uint32_t>(gen_.config().depth);
  while (outstanding_ < depth) {
    uint32_t id = next_call_id_++;
    if (id == 0) id = next_call_id_++;  // 0 would read as a notify
    size_t at = out_.size();
    out_.append(frame);
    net::putU32(reinterpret_cast<unsigned char*>(out_.data() + at + net::kLengthPrefix + 4), id);
    sent_at_[id & mask_] = now;
    sent_id_[id & mask_] = id;
    ++outstanding_;
  }
  flush();
}

void Connection::onEvent(evutil_socket_t, short what, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  if (what & EV_WRITE) self->flush();
  if (what & EV_READ) self->onReadable();
}

void Connection::onReadable() {
  if (in_len_ == in_.size()) in_.resize(in_.size() * 2);
  ssize_t n = ::read(fd_, in_.data() + in_len_, in_.size() - in_len_);
  if (n == 0) fatal("the server closed a connection (wrong secret? see the server's log)");
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    fatal(std::string("read: ") + std::strerror(errno));
  }
  in_len_ += static_cast<size_t>(n);
  uint64_t now = nowNs();
  size_t pos = 0;
  while (in_len_ - pos >= net::kLengthPrefix) {
    auto* p = reinterpret_cast<const unsigned char*>(in_.data() + pos);
    size_t length = net::getU32(p);
    if (length < rpc::kHeaderSize || length > kMaxFrame) fatal("bad frame length " + std::to_string(length));
    if (in_len_ - pos < net::kLengthPrefix + length) {
      if (in_.size() < net::kLengthPrefix + length) in_.resize(net::kLengthPrefix + length);
      break;
    }
    std::string_view frame(in_.data() + pos + net::kLengthPrefix, length);
    auto h = rpc::decodeHeader(frame);
    if (!h) fatal("bad frame header");
    onFrame(*h, frame.substr(rpc::kHeaderSize), now);
    pos += net::kLengthPrefix + length;
  }
  std::memmove(in_.data(), in_.data() + pos, in_len_ - pos);
  in_len_ -= pos;
  if (ready_ && gen_.sending()) refill(now);
}

void Connection::onFrame(const rpc::Header& h, std::string_view body, uint64_t now) {
  if (h.kind == rpc::Kind::kHandshake) return onHandshake(h, body);
  // An error reply is an answer too (counted: a reload must cause none).
  bool error = h.kind == rpc::Kind::kError && handshake_;
  bool expected = error || h.kind == (handshake_ ? rpc::Kind::kResponse : rpc::Kind::kRequest);
  if (!ready_ || !expected || h.msg_id != kEchoMsgId) fatal("unexpected frame");
  if (sent_id_[h.call_id & mask_] != h.call_id || outstanding_ == 0) {
    fatal("reply for unknown call_id " + std::to_string(h.call_id));
  }
  --outstanding_;
  gen_.onReply(now - sent_at_[h.call_id & mask_], error, now);
}

void Connection::onHandshake(const rpc::Header& h, std::string_view body) {
  if (!handshake_ || ready_) fatal("unexpected handshake frame");
  if (h.msg_id == rpc::kChallengeStep) {
    Challenge challenge;
    std::optional<Proof> proof;
    if (!challenge.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
        !(proof = handshake_->answer(challenge))) {
      fatal("bad challenge");
    }
    queue(encodeFrame(rpc::Header{rpc::Kind::kHandshake, rpc::kProofStep, 0, 0}, proof->SerializeAsString()));
    flush();
    return;
  }
  if (h.msg_id == rpc::kProofStep) {
    Proof proof;
    if (!proof.ParseFromArray(body.data(), static_cast<int>(body.size())) || !handshake_->verify(proof)) {
      fatal("the server failed the cluster-secret proof (wrong secret?)");
    }
    Identity identity;
    identity.set_node("bench-loadgen");
    queue(encodeFrame(rpc::Header{rpc::Kind::kHandshake, rpc::kIdentityStep, 0, 0}, identity.SerializeAsString()));
    flush();
    return;
  }
  // The server's identity comes once it has verified our proof; our own
  // identity went out before any request we send from now on.
  ready_ = true;
  gen_.onReady();
}

void Connection::queue(const std::string& bytes) { out_.append(bytes); }

void Connection::flush() {
  while (out_sent_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        event_add(write_event_.get(), nullptr);
        return;
      }
      fatal(std::string("send: ") + std::strerror(errno));
    }
    out_sent_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
}

LoadGen::LoadGen(Config config) : config_(std::move(config)), base_(event_base_new()) {
  timer_.reset(evtimer_new(base_.get(), &LoadGen::onTimer, this));
  EchoMsg msg;
  msg.set_payload(std::string(static_cast<size_t>(config_.payload), 'x'));
  msg.set_seq(1);
  request_ = encodeFrame(rpc::Header{rpc::Kind::kRequest, kEchoMsgId, 0, 0}, msg.SerializeAsString());
}

int connectTo(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fatal(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    fatal("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

void LoadGen::run() {
  timeval deadline{10, 0};  // connecting and handshakes must finish by then
  evtimer_add(timer_.get(), &deadline);
  for (int i = 0; i < config_.conns; ++i) {
    conns_.push_back(std::make_unique<Connection>(*this, connectTo(config_.port), config_.server == "rpc"));
  }
  for (auto& c : conns_) c->start();
  event_base_dispatch(base_.get());
  report();
}

void LoadGen::onReady() {
  if (++ready_ < config_.conns) return;
  evtimer_del(timer_.get());
  advance();  // -> warm-up
  uint64_t now = nowNs();
  for (auto& c : conns_) c->refill(now);
}

void LoadGen::onTimer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<LoadGen*>(arg);
  if (self->phase_ == Phase::kConnecting) {
    fatal("only " + std::to_string(self->ready_) + " of " + std::to_string(self->config_.conns) +
          " connections were ready after 10 s");
  }
  self->advance();
}

void LoadGen::advance() {
  timeval tv{};
  switch (phase_) {
    case Phase::kConnecting:
      phase_ = Phase::kWarmup;
      tv = timeval{config_.warmup_ms / 1000, (config_.warmup_ms % 1000) * 1000};
      evtimer_add(timer_.get(), &tv);
      return;
    case Phase::kWarmup:
      phase_ = Phase::kMeasure;
      histogram_.reset();
      measure_start_ = nowNs();
      tv = timeval{config_.duration_ms / 1000, (config_.duration_ms % 1000) * 1000};
      evtimer_add(timer_.get(), &tv);
      return;
    case Phase::kMeasure:
      phase_ = Phase::kDone;
      measure_end_ = nowNs();
      event_base_loopbreak(base_.get());
      return;
    case Phase::kDone:
      return;
  }
}

void LoadGen::report() const {
  double seconds = static_cast<double>(measure_end_ - measure_start_) / 1e9;
  double rate = static_cast<double>(histogram_.count()) / seconds;
  std::string windows;
  for (uint64_t w : windows_) windows += (windows.empty() ? "" : ",") + std::to_string(w / 1000);
  std::printf(
      "{\"server\":\"%s\",\"mode\":\"%s\",\"conns\":%d,\"depth\":%d,\"payload\":%d,\"msgs_per_sec\":%.0f,"
      "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"count\":%llu,\"errors\":%llu,\"seconds\":%.3f,"
      "\"window_max_us\":[%s]}\n",
      config_.server.c_str(), config_.mode.c_str(), config_.conns, config_.depth, config_.payload, rate,
      histogram_.quantile(0.50) / 1e3, histogram_.quantile(0.99) / 1e3, histogram_.quantile(0.999) / 1e3,
      static_cast<unsigned long long>(histogram_.count()), static_cast<unsigned long long>(errors_), seconds,
      windows.c_str());
}

Config parseConfig(int argc, char** argv) {
  Args args(argc, argv,
            "bench_loadgen --server=echo|rpc --port=N [--mode=pingpong|pipelined] [--conns=1] [--depth=128]\n"
            "       [--payload=64] [--warmup-ms=1000] [--duration-ms=3000] [--window-ms=0] [--secret=S]\n"
            "  --secret (or POLIS_CLUSTER__SECRET) is needed for --server=rpc");
  Config c;
  c.server = args.str("server", "");
  c.mode = args.str("mode", "pingpong");
  c.port = static_cast<uint16_t>(args.num("port", 0, 1, 65535));
  c.conns = static_cast<int>(args.num("conns", 1, 1, 1000));
  c.depth = static_cast<int>(args.num("depth", 128, 1, 4096));
  c.payload = static_cast<int>(args.num("payload", 64, 0, 65536));
  c.warmup_ms = static_cast<int>(args.num("warmup-ms", 1000, 0, 30000));
  c.duration_ms = static_cast<int>(args.num("duration-ms", 3000, 100, 60000));
  c.window_ms = static_cast<int>(args.num("window-ms", 0, 0, 60000));
  const char* env_secret = std::getenv("POLIS_CLUSTER__SECRET");
  c.secret = args.str("secret", env_secret ? env_secret : "");
  args.rejectUnknown();
  if (c.server != "echo" && c.server != "rpc") args.fail("--server must be echo or rpc");
  if (c.mode == "pingpong") {
    c.depth = 1;
  } else if (c.mode != "pipelined") {
    args.fail("--mode must be pingpong or pipelined");
  }
  if (c.server == "rpc" && c.secret.empty()) args.fail("--server=rpc needs --secret or POLIS_CLUSTER__SECRET");
  return c;
}

}  // namespace
}  // namespace polis::bench

int main(int argc, char** argv) {
  polis::bench::LoadGen gen(polis::bench::parseConfig(argc, argv));
  gen.run();
  return 0;
}
