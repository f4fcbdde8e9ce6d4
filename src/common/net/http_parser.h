// The request side of HTTP/1.1 as the ops port needs it: one request (line,
// headers, Content-Length body) parsed from the front of a byte buffer.
// Strict on purpose (RFC 9112): CRLF line ends, no obs-fold, one
// Content-Length, no Transfer-Encoding (answered 501); anything else is a 400.
// Pure function of its input, so it is unit-tested and fuzzed on its own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace polis::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query, not percent-decoded
  std::string query;   // after '?', not decoded; empty if none
  std::string body;
  bool keep_alive = true;  // HTTP/1.1 without "Connection: close", or 1.0 with "keep-alive"
  // Every header line in order: the name lower-cased, the value trimmed.
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of the only header `name` (lower case); nullptr when absent or
  // given more than once (a repeated field a handler relies on is ambiguous).
  const std::string* header(std::string_view name) const;
  // Whether some `name` header's comma-separated list holds `token`, ignoring case.
  bool headerHasToken(std::string_view name, std::string_view token) const;
};

struct HttpLimits {
  size_t max_head = 8 * 1024;   // request line + headers
  size_t max_body = 64 * 1024;
};

enum class HttpParse {
  kNeedMore,        // not a whole request yet
  kDone,            // `out` and `consumed` are set
  kBadRequest,      // 400
  kHeadTooLarge,    // 431
  kBodyTooLarge,    // 413
  kNotImplemented,  // 501 (Transfer-Encoding)
};

// Parses the first request in `data`. On kDone, `consumed` is its length in bytes.
HttpParse parseHttpRequest(std::string_view data, const HttpLimits& limits, HttpRequest& out, size_t& consumed);

// The status code for a parse failure (400, 431, 413, 501).
int httpStatusFor(HttpParse result);

}  // namespace polis::net
