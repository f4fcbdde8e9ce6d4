// Exception boundaries for C callbacks. libevent calls us through C frames
// (and bufferevent callbacks run with the bufferevent's lock held), so no
// exception may unwind out of a timer, posted task, read, close or reply
// callback. Each of those runs its body through guarded(): an exception is
// logged with where it happened, counted in polis_callback_exceptions_total,
// and swallowed.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace polis {

// What an exception says: its what(), or a note that it was not a std::exception.
std::string describeException(std::exception_ptr e);

// Logs and counts an exception that reached a callback boundary.
void reportEscapedException(std::string_view where, std::exception_ptr e) noexcept;

// Runs fn(); returns false when it threw (after reporting it).
template <class Fn>
bool guarded(std::string_view where, Fn&& fn) noexcept {
  try {
    std::forward<Fn>(fn)();
    return true;
  } catch (...) {
    reportEscapedException(where, std::current_exception());
    return false;
  }
}

}  // namespace polis
