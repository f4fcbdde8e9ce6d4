// Timers: timer.after / timer.every for scripts. Each firing runs the
// function in its own coroutine (so it may use rpc.call); a repeating timer
// whose previous run is still going skips that tick.
// Timers a module starts while it loads belong to that load: a reload that
// loads the module again replaces them (the new code starts its own), and a
// reload that fails cancels the ones its attempt started. Timers started
// later (by a handler) run until cancelled or the host goes.
// Threads: the loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/event_loop.h"
#include "host/lua/runner.h"

namespace polis::lua {

class Timers {
 public:
  Timers(LuaVm& vm, EventLoop& loop, Runner& runner);  // makes the function table: call under protection
  ~Timers();

  int tableRef() const { return table_ref_; }
  int64_t nextId() { return next_id_++; }
  // Starts timer `id`, whose function the caller stored at table[id]. Like
  // cancel, called from a Lua C function: noexcept (see Runner::startCall).
  void start(int64_t id, std::chrono::milliseconds delay, bool repeat, uint64_t load_id, std::string where) noexcept;
  void cancel(int64_t id) noexcept;
  void cancelLoad(uint64_t load_id);
  size_t count() const { return entries_.size(); }

 private:
  struct Entry {
    TimerId loop_timer = 0;
    bool repeat = false;
    bool running = false;
    uint64_t load_id = 0;
    std::string label;
  };
  void fire(int64_t id);
  void forget(int64_t id);

  LuaVm& vm_;
  EventLoop& loop_;
  Runner& runner_;
  int table_ref_ = 0;
  int64_t next_id_ = 1;
  std::unordered_map<int64_t, Entry> entries_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace polis::lua
