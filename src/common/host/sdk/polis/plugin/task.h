// The plugin SDK's coroutines: Task<T>, started when awaited (lazy) and
// resuming its awaiter when done, and Detached, a coroutine that starts at
// once and frees itself — what runs each request. Same use as the runtime's
// base/task.h, header-only. An exception escaping a Task is rethrown to its
// awaiter; the SDK catches it at the top of each request (an error reply).
// Threads: the node's loop thread only.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace polis {

namespace plugin::detail {

// What Task<T> and Task<void> share: the awaiter to resume at the end, and
// an exception to rethrow to it.
struct PromiseBase {
  std::exception_ptr error;
  std::coroutine_handle<> awaiter;
  std::suspend_always initial_suspend() noexcept { return {}; }
  struct Final {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto next = h.promise().awaiter;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  Final final_suspend() noexcept { return {}; }
  void unhandled_exception() { error = std::current_exception(); }
};

// Owns the frame; starts it when awaited.
template <class Promise>
class TaskBase {
 public:
  TaskBase(TaskBase&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  TaskBase& operator=(TaskBase&&) = delete;
  ~TaskBase() {
    if (h_) h_.destroy();
  }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().awaiter = awaiter;
    return h_;
  }

 protected:
  explicit TaskBase(std::coroutine_handle<Promise> h) : h_(h) {}
  Promise& promise() { return h_.promise(); }
  void rethrow() {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
  }

 private:
  std::coroutine_handle<Promise> h_;
};

}  // namespace plugin::detail

template <class T>
struct TaskPromise;

template <class T>
class [[nodiscard]] Task : public plugin::detail::TaskBase<TaskPromise<T>> {
 public:
  using promise_type = TaskPromise<T>;
  explicit Task(std::coroutine_handle<promise_type> h) : plugin::detail::TaskBase<promise_type>(h) {}
  T await_resume() {
    this->rethrow();
    return std::move(*this->promise().value);
  }
};

template <class T>
struct TaskPromise : plugin::detail::PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() { return Task<T>(std::coroutine_handle<TaskPromise>::from_promise(*this)); }
  template <class V>
  void return_value(V&& v) {
    value.emplace(std::forward<V>(v));
  }
};

template <>
struct TaskPromise<void> : plugin::detail::PromiseBase {
  Task<void> get_return_object();
  void return_void() {}
};

template <>
class [[nodiscard]] Task<void> : public plugin::detail::TaskBase<TaskPromise<void>> {
 public:
  using promise_type = TaskPromise<void>;
  explicit Task(std::coroutine_handle<promise_type> h) : TaskBase(h) {}
  void await_resume() { rethrow(); }
};

inline Task<void> TaskPromise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<TaskPromise>::from_promise(*this));
}

namespace plugin {

// A coroutine that runs at once and frees its own frame when it ends. The
// body must catch everything: an exception escaping it ends the process.
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

}  // namespace plugin
}  // namespace polis
