// polis-ctl's command line, checked into what to send (a pure function, so
// every rule is unit-tested).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "polis/control.pb.h"

namespace polis::ctl {

extern const char* const kUsage;

struct Request {
  std::string center;     // host:port
  std::string secret;
  bool members = false;   // list the members instead of fanning out
  FanoutReq fanout;
};

// `centers_env`, `secret_env`: POLIS_CLUSTER__CENTERS and
// POLIS_CLUSTER__SECRET (null when unset).
Result<Request> parseArgs(const std::vector<std::string>& args, const char* centers_env, const char* secret_env);

}  // namespace polis::ctl
