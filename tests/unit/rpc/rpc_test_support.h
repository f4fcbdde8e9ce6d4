// Extras for RPC tests on top of rpc_fixture.h:
// - Outcome: where a callback-form call stores its result, shared with the
//   callback, so a call still pending when a test stops early (a failed
//   ASSERT) completes into live memory when TearDown closes the channels
//   instead of into the finished test's stack.
// - RpcServerOptionsTest: replaces the fixture's server with one built from
//   other ChannelOptions (an in-flight cap, a frame limit).
#pragma once

#include <memory>
#include <optional>

#include "rpc_fixture.h"

namespace polis::rpc::testing {

template <class T = EchoMsg>
using Outcome = std::shared_ptr<std::optional<Result<T>>>;

template <class T = EchoMsg>
Outcome<T> outcome() {
  return std::make_shared<std::optional<Result<T>>>();
}

template <class T>
std::function<void(Result<T>)> into(Outcome<T> o) {
  return [o = std::move(o)](Result<T> r) { o->emplace(std::move(r)); };
}

// RpcTest whose tests restart the server with options of their own.
class RpcServerOptionsTest : public RpcTest {
 protected:
  void restartServer(const ChannelOptions& o) { startServer(o); }
};

}  // namespace polis::rpc::testing
