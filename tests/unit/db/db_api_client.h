// A client of a running polis-db for the API tests: an RpcClient to the node
// named by POLIS_TEST_DB_RPC_PORT with the secret POLIS_TEST_SECRET, and a
// helper that awaits one call with the loop running. The variables are set
// by tests/integration/test_db_api.py; without them the tests skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <random>

#include "base/task.h"
#include "rpc/rpc_client.h"
#include "support/loop_runner.h"

namespace polis::db::testing {

using namespace std::chrono_literals;

// Ids unique to this run (shared by every test in the binary), so the tests
// can run against a database twice.
inline uint64_t freshId() {
  static uint64_t next = (uint64_t{std::random_device{}()} << 20) + 1000;
  return next++;
}

class DbApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* port = std::getenv("POLIS_TEST_DB_RPC_PORT");
    const char* secret = std::getenv("POLIS_TEST_SECRET");
    if (!port || !secret) GTEST_SKIP() << "POLIS_TEST_DB_RPC_PORT / POLIS_TEST_SECRET not set (test_db_api.py sets them)";
    rpc::ChannelOptions o;
    o.local_name = "db-api-test";
    o.secret = secret;
    client = std::make_unique<rpc::RpcClient>(loop, dispatcher, o, "127.0.0.1",
                                              static_cast<uint16_t>(std::atoi(port)));
    client->start([](const rpc::Channel::Ptr&) {});
    ASSERT_TRUE(polis::testing::runUntil(loop, [&] { return client->channel() != nullptr; }, 5s))
        << "could not connect to the db node";
  }
  void TearDown() override {
    client.reset();
    polis::testing::runFor(loop, 10ms);
  }

  // co_awaits `call()` (a Pending from a stub) with the loop running.
  template <class MakeCall>
  auto await(MakeCall call) -> decltype(call().await_resume()) {
    using R = decltype(call().await_resume());
    std::optional<R> out;
    spawn([](MakeCall c, std::optional<R>* o) -> Task<void> { o->emplace(co_await c()); }(call, &out));
    if (!polis::testing::runUntil(loop, [&] { return out.has_value(); }, 10s)) {
      return R(Error{Errc::kInternal, "test watchdog: no answer"});
    }
    return std::move(*out);
  }

  EventLoop loop;
  rpc::Dispatcher dispatcher;
  std::unique_ptr<rpc::RpcClient> client;
};

}  // namespace polis::db::testing
