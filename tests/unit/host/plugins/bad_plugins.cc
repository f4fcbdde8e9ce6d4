// Plugins that must not take a node down (one source, one behaviour per
// build, chosen by BAD): a constructor that throws (BAD_INIT), a handler
// that throws (BAD_THROW), a handler that answers only after 1.5 s, past
// the test's handler timeout (BAD_SLOW), an id the node already serves
// (BAD_TAKEN: NodeControl.ListCommands, msg_id 30).
#include <polis/plugin.h>

#include <coroutine>
#include <stdexcept>

#include "polis/bench.polis_plugin.h"
#include "polis/control.polis_plugin.h"

namespace {

// Resumes the awaiting coroutine from a host timer.
struct Sleep {
  uint32_t ms;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { polis::plugin::after(ms, [h] { h.resume(); }); }
  void await_resume() const noexcept {}
};

#if defined(BAD_TAKEN)
class Bad final : public polis::gen::NodeControl::Service {
 public:
  polis::Task<polis::Result<polis::CommandList>> ListCommands(polis::Call&, const polis::Empty&) override {
    co_return polis::CommandList();
  }
  polis::Task<polis::Result<polis::RunCommandAck>> RunCommand(polis::Call&, const polis::RunCommandReq&) override {
    co_return polis::RunCommandAck();
  }
};
#else
class Bad final : public polis::gen::Echo::Service {
 public:
  Bad() {
#if defined(BAD_INIT)
    throw std::runtime_error("this plugin cannot start");
#endif
  }
  polis::Task<polis::Result<polis::EchoMsg>> Echo(polis::Call&, const polis::EchoMsg& req) override {
#if defined(BAD_THROW)
    if (!req.payload().empty()) throw std::runtime_error("handler exploded on " + req.payload());
#endif
#if defined(BAD_SLOW)
    co_await Sleep{1500};
#endif
    polis::EchoMsg out;
    out.set_payload("bad:" + req.payload());
    co_return out;
  }
  polis::Task<void> Push(polis::Call&, const polis::EchoMsg&) override { co_return; }
};
#endif

}  // namespace

POLIS_PLUGIN(Bad)
