#include "base/task.h"

#include <array>
#include <new>
#include <vector>

#include "base/guard.h"

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

// The intrusive list of this thread's live detached frames.
struct LiveList {
  Detached::promise_type* head = nullptr;
  size_t size = 0;
};
thread_local LiveList live;

// Size classes of 64 bytes up to 2 KiB; each keeps at most kMaxPooled free
// frames, so a burst of calls does not pin its peak memory for ever. Under
// AddressSanitizer nothing is pooled: reused frames would hide exactly the
// use-after-free bugs the sanitizer pass is there to find.
constexpr size_t kGranule = 64;
constexpr size_t kClasses = 32;
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kMaxPooled = 0;
#else
constexpr size_t kMaxPooled = 1024;
#endif

thread_local bool pool_gone = false;  // trivially destructible: readable after the pool is destroyed

struct FramePool {
  std::array<std::vector<void*>, kClasses> free;
  ~FramePool() {
    pool_gone = true;
    for (auto& list : free) {
      for (void* p : list) ::operator delete(p);
    }
  }
};
thread_local FramePool pool;

size_t classOf(size_t size) { return (size + kGranule - 1) / kGranule - 1; }

}  // namespace

namespace detail {

void* allocateFrame(size_t size) {
  size_t c = classOf(size);
  if (c >= kClasses || pool_gone) return ::operator new(size);
  auto& list = pool.free[c];
  if (list.empty()) return ::operator new((c + 1) * kGranule);
  void* p = list.back();
  list.pop_back();
  return p;
}

void freeFrame(void* frame, size_t size) noexcept {
  size_t c = classOf(size);
  if (c >= kClasses || pool_gone || pool.free[c].size() >= kMaxPooled) {
    ::operator delete(frame);
    return;
  }
  try {
    pool.free[c].push_back(frame);
  } catch (...) {
    ::operator delete(frame);
  }
}

}  // namespace detail

Detached::promise_type::promise_type() noexcept {
  next = live.head;
  if (next) next->prev = this;
  live.head = this;
  ++live.size;
}

Detached::promise_type::~promise_type() {
  if (prev) prev->next = next;
  else live.head = next;
  if (next) next->prev = prev;
  --live.size;
}

size_t cancelDetachedTasks() {
  size_t destroyed = 0;
  // Destroying one frame may end others (their locals hold tasks): always
  // take the current head rather than walking a list that changes under us.
  while (live.head) {
    std::coroutine_handle<Detached::promise_type>::from_promise(*live.head).destroy();
    ++destroyed;
  }
  return destroyed;
}

size_t detachedTaskCount() { return live.size; }

void Detached::logEscaped(std::exception_ptr e) noexcept { reportEscapedException("detached coroutine", e); }

void spawn(Task<void> task, std::function<void(std::exception_ptr)> on_exception) {
  run(std::move(task), std::move(on_exception));
}

}  // namespace polis
