// Coroutine frames of a plugin come from a pool of recycled blocks (one
// request allocates two frames; malloc and free of each were a visible part
// of a plugin call's cost). Blocks are kept by size class (64-byte steps up
// to 1 KiB; larger frames go to operator new). Loop-thread only, like every
// SDK coroutine; emptied when the instance goes (releaseFrames). No
// thread_local: a library with thread-local destructors cannot be unloaded.
#pragma once

#include <cstddef>
#include <new>

namespace polis::plugin::detail {

class FramePool {
 public:
  static constexpr size_t kStep = 64;
  static constexpr size_t kClasses = 16;  // up to 1 KiB

  void* allocate(size_t size) {
    size_t c = classOf(size);
    if (c >= kClasses) return ::operator new(size);
    if (Block* b = free_[c]) {
      free_[c] = b->next;
      return b;
    }
    return ::operator new((c + 1) * kStep);
  }
  void release(void* p, size_t size) {
    size_t c = classOf(size);
    if (c >= kClasses) {
      ::operator delete(p);
      return;
    }
    auto* b = static_cast<Block*>(p);
    b->next = free_[c];
    free_[c] = b;
  }
  void clear() {
    for (auto& head : free_) {
      while (Block* b = head) {
        head = b->next;
        ::operator delete(b);
      }
    }
  }

 private:
  struct Block {
    Block* next;
  };
  static size_t classOf(size_t size) { return size == 0 ? 0 : (size - 1) / kStep; }
  Block* free_[kClasses] = {};
};

inline FramePool& framePool() {
  static FramePool pool;
  return pool;
}

// Promise types inherit this to take their frames from the pool.
struct PooledFrame {
  static void* operator new(size_t size) { return framePool().allocate(size); }
  static void operator delete(void* p, size_t size) { framePool().release(p, size); }
};

}  // namespace polis::plugin::detail
