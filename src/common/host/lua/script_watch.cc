#include "host/lua/script_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "base/guard.h"

namespace polis::lua {

ScriptWatch::~ScriptWatch() {
  if (quiet_timer_) loop_.cancel(quiet_timer_);
  event_.reset();  // the event goes before the descriptor it watches
  if (fd_ >= 0) ::close(fd_);
}

Result<void> ScriptWatch::start(const std::string& folder) {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) return Error{Errc::kUnavailable, std::string("inotify: ") + std::strerror(errno)};
  uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;
  if (inotify_add_watch(fd_, folder.c_str(), mask) < 0) {
    return Error{Errc::kUnavailable, "cannot watch " + folder + ": " + std::strerror(errno)};
  }
  event_.reset(event_new(loop_.base(), fd_, EV_READ | EV_PERSIST, &ScriptWatch::onReadable, this));
  event_add(event_.get(), nullptr);
  return {};
}

void ScriptWatch::onReadable(evutil_socket_t, short, void* arg) {
  guarded("lua script watch", [arg] { static_cast<ScriptWatch*>(arg)->drain(); });
}

void ScriptWatch::drain() {
  alignas(inotify_event) char buffer[4096];
  bool relevant = false;
  ssize_t n;
  while ((n = ::read(fd_, buffer, sizeof buffer)) > 0) {
    for (char* p = buffer; p < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      std::string_view name(event->len ? event->name : "");
      if (name.size() > 4 && name.substr(name.size() - 4) == ".lua") relevant = true;
      p += sizeof(inotify_event) + event->len;
    }
  }
  if (!relevant) return;
  if (quiet_timer_) loop_.cancel(quiet_timer_);
  quiet_timer_ = loop_.runAfter(std::chrono::milliseconds(100), [this] {
    quiet_timer_ = 0;
    changed_();
  });
}

}  // namespace polis::lua
