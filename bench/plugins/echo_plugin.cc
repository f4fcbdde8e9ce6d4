// The benchmark's echo as a plugin: returns the request, exactly what the
// built-in handler of bench_hosted_server does.
#include <polis/plugin.h>

#include "polis/bench.polis_plugin.h"

namespace {

class EchoPlugin final : public polis::gen::Echo::Service {
 public:
  polis::Task<polis::Result<polis::EchoMsg>> Echo(polis::Call&, const polis::EchoMsg& req) override { co_return req; }
  polis::Task<void> Push(polis::Call&, const polis::EchoMsg&) override { co_return; }
};

}  // namespace

POLIS_PLUGIN(EchoPlugin)
