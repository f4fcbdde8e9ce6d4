#include "base/task.h"

#include "base/log.h"

namespace polis {
namespace {

Detached run(Task<void> task, std::function<void(std::exception_ptr)> on_exception) {
  try {
    co_await std::move(task);
  } catch (...) {
    if (!on_exception) throw;  // Detached logs it
    on_exception(std::current_exception());
  }
}

}  // namespace

void Detached::logEscaped(std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::error("detached coroutine failed: {}", ex.what());
  } catch (...) {
    log::error("detached coroutine failed with a non-standard exception");
  }
}

void spawn(Task<void> task, std::function<void(std::exception_ptr)> on_exception) {
  run(std::move(task), std::move(on_exception));
}

}  // namespace polis
