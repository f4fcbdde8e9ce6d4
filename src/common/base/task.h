// Task<T>: a lazily started C++20 coroutine. `co_await task` starts it and
// resumes the awaiter when it finishes (symmetric transfer, no stack growth).
// spawn() starts a Task<void> that nobody awaits; its frame frees itself.
//
// Threads: a task runs on whichever thread resumes it. In Polis that is always
// the event-loop thread that owns the objects the task touches.
// Exceptions thrown inside a task are captured and rethrown to the awaiter;
// spawn() reports them through its error callback instead of letting them
// escape into an event callback.
//
// Lifetimes: a detached coroutine (spawn(), and the handler glue of every
// RPC) that is still suspended when its owner shuts down — waiting for a reply
// or a sleep — is destroyed by cancelDetachedTasks(), never resumed: its
// locals' destructors run (an unanswered request still gets its error reply)
// and whatever it awaited finds it gone (replies hold it weakly, sleeps cancel
// their timer).
// Frames come from a per-thread pool of size classes: every RPC costs one or
// two frames, and malloc/free of them was a fifth of a call's CPU.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <utility>

namespace polis {

template <class T>
class Task;

namespace detail {

void* allocateFrame(size_t size);
void freeFrame(void* frame, size_t size) noexcept;

// Coroutine frames of every promise type come from the pool.
struct PooledFrame {
  static void* operator new(size_t size) { return allocateFrame(size); }
  static void operator delete(void* frame, size_t size) noexcept { freeFrame(frame, size); }
};

struct PromiseBase : PooledFrame {
  std::coroutine_handle<> continuation;
  std::exception_ptr exception;

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto next = h.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { destroy(); }

  bool valid() const { return static_cast<bool>(h_); }

  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle h;
      bool await_ready() noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
        h.promise().continuation = awaiter;
        return h;
      }
      T await_resume() { return h.promise().take(); }
    };
    return Awaiter{h_};
  }

 private:
  void destroy() {
    if (h_) h_.destroy();
    h_ = {};
  }
  Handle h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

// The return type of a fire-and-forget coroutine: it starts at once and frees
// its own frame when it ends. Bodies should catch what they can handle; an
// exception that still escapes is logged, never propagated into the event
// callback that happened to resume the coroutine.
struct Detached {
  // Every live detached frame of a thread is on that thread's list, so that
  // cancelDetachedTasks() can find the suspended ones.
  struct promise_type : detail::PooledFrame {
    promise_type() noexcept;
    ~promise_type();
    promise_type(const promise_type&) = delete;
    promise_type& operator=(const promise_type&) = delete;
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { logEscaped(std::current_exception()); }

    promise_type* prev = nullptr;
    promise_type* next = nullptr;
  };
  static void logEscaped(std::exception_ptr e) noexcept;
};

// Destroys every detached coroutine of this thread that is still suspended.
// Call it at shutdown, after the loop stopped and while the objects those
// coroutines point at still exist. Returns how many it destroyed.
size_t cancelDetachedTasks();
// Detached coroutines of this thread alive now (for tests and leak checks).
size_t detachedTaskCount();

// Starts `task` now; the frame is destroyed when it finishes. An exception that
// escapes the task is handed to `on_exception` (default: logged and dropped).
void spawn(Task<void> task, std::function<void(std::exception_ptr)> on_exception = {});

}  // namespace polis
