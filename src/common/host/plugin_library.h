// PluginLibrary: one loaded copy of a plugin's shared library. Each load
// copies the file to a fresh private path first and opens that copy: dlopen
// returns the image it already has for a path it has seen (the old code, at
// a reload), and a copy also lets the build replace the original under a
// running node. The copy is unlinked once opened (the mapping stays).
// Owns the dlopen handle: dlclose when destroyed.
// Threads: any one thread at a time (the host uses the loop thread).
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "polis/plugin_abi.h"

namespace polis::host {

class PluginLibrary {
 public:
  // Loads `path` (RTLD_NOW | RTLD_LOCAL: unresolved symbols fail the load
  // now, and the plugin's symbols never satisfy another library's).
  static Result<std::unique_ptr<PluginLibrary>> open(const std::string& path);
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  polis_plugin_init_fn entry() const { return entry_; }
  // Keeps the image mapped for the life of the process (an instance that
  // could not be drained must not lose its code).
  void leak() { handle_ = nullptr; }

 private:
  PluginLibrary(void* handle, polis_plugin_init_fn entry) : handle_(handle), entry_(entry) {}
  void* handle_;
  polis_plugin_init_fn entry_;
};

}  // namespace polis::host
