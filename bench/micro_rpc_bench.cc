// bench_micro_rpc: the per-call CPU cost of the RPC layer without sockets
// (Google Benchmark). What a server spends on one Echo call besides the
// kernel: decoding the header, dispatching through the handler table,
// parsing the request, running the coroutine handler, and encoding a reply.
// The end-to-end figures are bench/run.sh's; this one isolates user space.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "net/frame_codec.h"
#include "polis/bench.polis.h"
#include "rpc/header.h"
#include "rpc/incoming.h"

namespace {

using polis::EchoMsg;
namespace rpc = polis::rpc;

class EchoService final : public polis::gen::Echo::Service {
 public:
  polis::Task<polis::Result<EchoMsg>> Echo(polis::Call&, const EchoMsg& req) override { co_return req; }
  polis::Task<void> Push(polis::Call&, const EchoMsg&) override { co_return; }
};

EchoMsg makeRequest(size_t payload) {
  EchoMsg msg;
  msg.set_payload(std::string(payload, 'x'));
  msg.set_seq(1);
  return msg;
}

constexpr uint16_t kEchoId = polis::gen::Echo::kEcho.id;

// Length prefix + header + body, with the writer Channel::sendFrame uses.
void encodeFrame(const EchoMsg& msg, uint32_t call_id, std::string& out) {
  size_t body = msg.ByteSizeLong();
  out.resize(rpc::wireSize(body));
  rpc::writeFrame(reinterpret_cast<unsigned char*>(out.data()), rpc::Header{rpc::Kind::kRequest, kEchoId, call_id, 0},
                  &msg, body);
}

void BM_EncodeFrame(benchmark::State& state) {
  EchoMsg msg = makeRequest(static_cast<size_t>(state.range(0)));
  std::string out;
  uint32_t id = 0;
  for (auto _ : state) {
    encodeFrame(msg, ++id, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeFrame)->Arg(64)->Arg(1024);

void BM_DecodeFrame(benchmark::State& state) {
  std::string frame;
  encodeFrame(makeRequest(static_cast<size_t>(state.range(0))), 1, frame);
  std::string_view bytes = std::string_view(frame).substr(polis::net::kLengthPrefix);
  for (auto _ : state) {
    auto h = rpc::decodeHeader(bytes);
    EchoMsg msg;
    auto body = bytes.substr(rpc::kHeaderSize);
    bool ok = msg.ParseFromArray(body.data(), static_cast<int>(body.size()));
    benchmark::DoNotOptimize(h);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_DecodeFrame)->Arg(64)->Arg(1024);

// Dispatch through the handler table into the generated glue and the
// coroutine handler. The Incoming has no channel, so the reply is counted as
// dropped instead of encoded (BM_EncodeFrame is that part).
void BM_DispatchEcho(benchmark::State& state) {
  EchoService service;
  rpc::HandlerTable table;
  service.bindTo(table);
  rpc::Dispatcher dispatcher;
  dispatcher.install(std::make_shared<const rpc::HandlerTable>(std::move(table)));
  std::string frame;
  encodeFrame(makeRequest(static_cast<size_t>(state.range(0))), 1, frame);
  std::string_view body = std::string_view(frame).substr(polis::net::kLengthPrefix + rpc::kHeaderSize);
  uint32_t id = 0;
  for (auto _ : state) {
    const rpc::HandlerEntry* entry = dispatcher.table().find(kEchoId);
    entry->handler(rpc::Incoming(std::weak_ptr<rpc::Channel>(), dispatcher.installed(), *entry, ++id, 0, body));
  }
}
BENCHMARK(BM_DispatchEcho)->Arg(64)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
