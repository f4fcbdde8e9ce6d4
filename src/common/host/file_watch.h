// FileWatch: calls back when one of the given files is written or replaced
// (inotify on their folders: a build writes a new file and renames it into
// place, or writes it in place). Changes are debounced: one callback per
// file once it has been quiet for 200 ms. For development (plugins.watch).
// Owns the inotify descriptor and its libevent event.
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "base/libevent_handles.h"

namespace polis::host {

class FileWatch {
 public:
  FileWatch(EventLoop& loop, const std::vector<std::string>& paths, std::function<void(const std::string&)> changed);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

 private:
  void onReadable();

  EventLoop& loop_;
  std::function<void(const std::string&)> changed_;
  int fd_ = -1;
  EventPtr event_;
  std::map<int, std::string> dirs_;           // watch descriptor -> folder
  std::set<std::string> files_;               // the paths watched
  std::map<std::string, TimerId> debounce_;   // path -> its pending callback
};

}  // namespace polis::host
