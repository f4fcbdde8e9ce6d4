#include "base/guard.h"

#include <string>

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/metrics.h"

namespace polis {

std::string describeException(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

void reportEscapedException(std::string_view where, std::exception_ptr e) noexcept {
  try {
    std::string what = describeException(e);
    metrics::Registry::global()
        .counter("polis_callback_exceptions_total", "Exceptions caught at an event-callback boundary, by callback.",
                 {{"callback", std::string(where)}})
        .inc();
    if (auto note = log::throttle("callback threw " + std::string(where))) {
      log::error("{} threw: {} (caught at the callback boundary){}", where, what, *note);
    }
  } catch (...) {
    // Out of memory while reporting: nothing better to do than go on.
  }
}

}  // namespace polis
