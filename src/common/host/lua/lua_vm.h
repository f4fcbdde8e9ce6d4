// LuaVm: one Lua 5.4 state with a memory cap and an instruction budget.
// Several may live in one process (one per node today, one per scene later).
//
// Memory: every allocation of the state goes through our allocator, which
// refuses to grow past `memory_limit` bytes; Lua turns the refusal into a
// memory error (after an emergency collection), which fails the code that
// was running, and the state stays usable.
// Instructions: a count hook charges the budget of whatever the host is
// running now (enter()/leave()); once a budget is spent the hook raises an
// error on every instruction of that run, so a script cannot catch it with
// pcall and carry on.
//
// Errors and C++: lua_error is a longjmp here (Debian's Lua is C). Host code
// calls anything that can raise only inside protect() or inside a Lua call
// (a coroutine resume), and never while a C++ object with a destructor is
// alive in a frame between that call and the raise (docs/lua.md).
// Threads: one thread (the node's loop thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct lua_State;
struct lua_Debug;

namespace polis::lua {

struct Limits {
  size_t memory = 64u << 20;           // bytes the state may hold
  uint64_t instructions = 10'000'000;  // per run of a handler, timer, command or module
};

// What one run may still spend; the host keeps one per running coroutine.
struct Budget {
  uint64_t left = 0;
  bool exhausted = false;
};

class LuaVm {
 public:
  explicit LuaVm(Limits limits);
  ~LuaVm();
  LuaVm(const LuaVm&) = delete;
  LuaVm& operator=(const LuaVm&) = delete;

  lua_State* state() const { return state_.get(); }
  const Limits& limits() const { return limits_; }
  size_t memoryUsed() const { return used_; }
  // The VM a state (or any of its threads) belongs to.
  static LuaVm& of(lua_State* L);

  Budget freshBudget() const { return Budget{limits_.instructions, false}; }
  // Charges the hook's counts to `budget` until leave(); runs nest (a
  // module's load inside a reload), so enter returns what was current.
  Budget* enter(Budget* budget);
  void leave(Budget* previous) { current_ = previous; }
  // Rearms the hook of a thread about to run (it may still count every
  // instruction from a run whose budget was spent).
  void armHook(lua_State* thread) const;

  // Runs `fn(L)` as a protected call on `L` with `ud` as its only argument
  // (a light userdata) and `nresults` results left on the stack. Returns the
  // Lua status; on error the message is left on the stack.
  static int protect(lua_State* L, int (*fn)(lua_State*), void* ud, int nresults);

 private:
  struct Closer {
    void operator()(lua_State* L) const;
  };
  static void* allocate(void* ud, void* ptr, size_t osize, size_t nsize);
  static void onCount(lua_State* L, lua_Debug* ar);

  Limits limits_;
  size_t used_ = 0;
  Budget* current_ = nullptr;
  std::unique_ptr<lua_State, Closer> state_;
};

// The text of the error value at the top of `L` (not popped): the string, or
// a description of a non-string error object. Never raises.
std::string errorText(lua_State* L, int status);

}  // namespace polis::lua
