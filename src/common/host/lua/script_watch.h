// ScriptWatch: inotify on the scripts folder (lua.watch, for development):
// when a .lua file is written, moved in or removed, `changed` runs once the
// folder has been quiet for 100 ms (editors write in several steps).
// Threads: the loop thread.
#pragma once

#include <functional>
#include <string>

#include "base/event_loop.h"
#include "base/libevent_handles.h"
#include "base/result.h"

namespace polis::lua {

class ScriptWatch {
 public:
  ScriptWatch(EventLoop& loop, std::function<void()> changed) : loop_(loop), changed_(std::move(changed)) {}
  ~ScriptWatch();
  ScriptWatch(const ScriptWatch&) = delete;
  ScriptWatch& operator=(const ScriptWatch&) = delete;

  Result<void> start(const std::string& folder);

 private:
  static void onReadable(evutil_socket_t, short, void* arg);
  void drain();

  EventLoop& loop_;
  std::function<void()> changed_;
  int fd_ = -1;
  EventPtr event_;
  TimerId quiet_timer_ = 0;
};

}  // namespace polis::lua
