#include "host/file_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <event2/event.h>

#include <cstring>
#include <filesystem>

#include "base/log.h"

namespace polis::host {
namespace {

constexpr auto kQuiet = std::chrono::milliseconds(200);

}  // namespace

FileWatch::FileWatch(EventLoop& loop, const std::vector<std::string>& paths,
                     std::function<void(const std::string&)> changed)
    : loop_(loop), changed_(std::move(changed)) {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    log::warn("cannot watch files for changes (inotify: {}); reload by command instead", std::strerror(errno));
    return;
  }
  std::set<std::string> folders;
  for (const auto& p : paths) {
    auto file = std::filesystem::absolute(p).lexically_normal();
    files_.insert(file.string());
    folders.insert(file.parent_path().string());
  }
  for (const auto& folder : folders) {
    int wd = inotify_add_watch(fd_, folder.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
    if (wd < 0) {
      log::warn("cannot watch {} for changes: {}", folder, std::strerror(errno));
      continue;
    }
    dirs_[wd] = folder;
  }
  event_.reset(event_new(loop_.base(), fd_, EV_READ | EV_PERSIST, [](evutil_socket_t, short, void* self) {
    static_cast<FileWatch*>(self)->onReadable();
  }, this));
  event_add(event_.get(), nullptr);
}

FileWatch::~FileWatch() {
  event_.reset();
  for (const auto& [path, timer] : debounce_) loop_.cancel(timer);
  if (fd_ >= 0) close(fd_);
}

void FileWatch::onReadable() {
  alignas(inotify_event) char buffer[4096];
  while (true) {
    ssize_t n = read(fd_, buffer, sizeof buffer);
    if (n <= 0) return;
    for (char* p = buffer; p < buffer + n;) {
      auto* e = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + e->len;
      auto dir = dirs_.find(e->wd);
      if (dir == dirs_.end() || e->len == 0) continue;
      std::string path = (std::filesystem::path(dir->second) / e->name).string();
      if (!files_.count(path)) continue;
      if (auto it = debounce_.find(path); it != debounce_.end()) loop_.cancel(it->second);
      debounce_[path] = loop_.runAfter(kQuiet, [this, path] {
        debounce_.erase(path);
        changed_(path);
      });
    }
  }
}

}  // namespace polis::host
