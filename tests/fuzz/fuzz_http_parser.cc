// libFuzzer: the ops port's HTTP request parser (net/http_parser.h) on
// arbitrary bytes. Beyond no crash: a parsed request never claims more bytes
// than it was given, nor a body above the limit, and parsing is a pure
// function (the same input gives the same answer).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/http_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace polis::net;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  HttpLimits limits{256, 128};  // small limits reach the limit paths with small inputs
  HttpRequest request;
  size_t consumed = 0;
  HttpParse result = parseHttpRequest(input, limits, request, consumed);
  if (result == HttpParse::kDone) {
    if (consumed == 0 || consumed > size || request.body.size() > limits.max_body) std::abort();
    if (request.path.empty() || request.path[0] != '/') std::abort();
  }
  HttpRequest again;
  size_t consumed_again = 0;
  if (parseHttpRequest(input, limits, again, consumed_again) != result || consumed_again != consumed) std::abort();
  return 0;
}
