// Completion<T>: a value that arrives later (an RPC reply, a database
// result), awaited once by a coroutine on the loop thread.
//
//   auto [awaitable, deliver] = Completion<int>::make();
//   start_work([deliver](int v) { deliver(v); });   // later, on the loop thread
//   int v = co_await awaitable;
//
// The deliverer holds the shared state only weakly: if the awaiting coroutine
// is destroyed first (it gave up, or was cancelled at shutdown), the state is
// gone and delivery does nothing — a late value never resumes a dead frame.
#pragma once

#include <coroutine>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace polis {

template <class T>
class [[nodiscard]] Completion {
  struct State {
    std::optional<T> value;
    std::coroutine_handle<> waiter;
  };

 public:
  using Deliver = std::function<void(T)>;

  static std::pair<Completion, Deliver> make() {
    auto state = std::make_shared<State>();
    std::weak_ptr<State> weak = state;
    Deliver deliver = [weak](T value) {
      auto s = weak.lock();
      if (!s) return;
      s->value.emplace(std::move(value));
      if (auto w = std::exchange(s->waiter, {})) w.resume();
    };
    return {Completion(std::move(state)), std::move(deliver)};
  }

  bool await_ready() const noexcept { return state_->value.has_value(); }
  void await_suspend(std::coroutine_handle<> h) noexcept { state_->waiter = h; }
  T await_resume() { return std::move(*state_->value); }

 private:
  explicit Completion(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

}  // namespace polis
