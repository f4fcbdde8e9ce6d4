// A test plugin serving polis.Echo (bench.proto): Echo answers
// "<TAG>:<n>:<payload>" where n counts the calls this plugin has served
// across reloads (its state, handed from instance to instance). It also
// keeps a timer, a thread and an operator command running, so that a reload
// under AddressSanitizer proves the host released them before unloading.
// PUSH_DELAY_MS > 0: Push waits that long before finishing (a slow notify).
#include <polis/plugin.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "polis/bench.polis_plugin.h"

#ifndef TAG
#define TAG "v1"
#endif

namespace {

std::atomic<int> ticks{0};  // written by the thread, read by the timer

class EchoPlugin final : public polis::gen::Echo::Service {
 public:
  explicit EchoPlugin(std::string_view state) {
    if (!state.empty()) served_ = std::stoll(std::string(state));
    polis::plugin::every(5, [] { ticks.fetch_add(1); });
    polis::plugin::startThread([] {
      while (!polis::plugin::stopRequested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        polis::plugin::post([] { ticks.fetch_add(1); });
      }
    });
    auto added = polis::plugin::command(
        "echo.served", "how many calls this plugin served", {{"plus", POLIS_ARG_INT, false, "added to the count"}},
        [this](polis::plugin::CommandArgs args) -> polis::Task<polis::Result<std::string>> {
          long long plus = args.count("plus") ? std::stoll(args["plus"]) : 0;
          co_return std::string(TAG) + " served " + std::to_string(served_ + plus);
        });
    if (!added) throw std::runtime_error(added.error().message);
  }

  std::string saveState() const { return std::to_string(served_); }

  polis::Task<polis::Result<polis::EchoMsg>> Echo(polis::Call& call, const polis::EchoMsg& req) override {
    polis::EchoMsg out;
    out.set_payload(std::string(TAG) + ":" + std::to_string(++served_) + ":" + req.payload());
    co_return out;
  }

  polis::Task<void> Push(polis::Call&, const polis::EchoMsg&) override { co_return; }

 private:
  long long served_ = 0;
};

}  // namespace

POLIS_PLUGIN(EchoPlugin)
