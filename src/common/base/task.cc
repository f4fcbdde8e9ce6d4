#include "base/task.h"

#include "base/log.h"

namespace polis {
namespace {

// A fire-and-forget coroutine: runs eagerly and frees its own frame.
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // run() below catches everything
  };
};

Detached run(Task<void> task, std::function<void(std::exception_ptr)> on_exception) {
  try {
    co_await std::move(task);
  } catch (...) {
    if (on_exception) {
      on_exception(std::current_exception());
    } else {
      try {
        throw;
      } catch (const std::exception& e) {
        log::error("spawned task failed: {}", e.what());
      } catch (...) {
        log::error("spawned task failed with a non-standard exception");
      }
    }
  }
}

}  // namespace

void spawn(Task<void> task, std::function<void(std::exception_ptr)> on_exception) {
  run(std::move(task), std::move(on_exception));
}

}  // namespace polis
