#include "base/result.h"

#include <cstdio>
#include <cstdlib>

namespace polis {

std::string_view errcName(Errc code) {
  switch (code) {
    case Errc::kOk: return "ok";
    case Errc::kNoSuchMethod: return "no_such_method";
    case Errc::kTimeout: return "timeout";
    case Errc::kRemote: return "remote_error";
    case Errc::kConnectionLost: return "connection_lost";
    case Errc::kBadMessage: return "bad_message";
    case Errc::kUnauthenticated: return "unauthenticated";
    case Errc::kUnavailable: return "unavailable";
    case Errc::kInvalidArgument: return "invalid_argument";
    case Errc::kInternal: return "internal";
    case Errc::kAlreadyExists: return "already_exists";
    case Errc::kNotFound: return "not_found";
    case Errc::kVersionConflict: return "version_conflict";
  }
  return "unknown";
}

namespace detail {
void badResultAccess(const char* what, const Error* error) {
  std::fprintf(stderr, "polis: %s%s%s\n", what, error ? ": " : "", error ? error->describe().c_str() : "");
  std::abort();
}
}  // namespace detail

std::string Error::describe() const {
  std::string out(errcName(code));
  if (!message.empty()) out += ": " + message;
  return out;
}

}  // namespace polis
