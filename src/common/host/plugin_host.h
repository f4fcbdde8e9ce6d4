// PluginHost: the native plugins one node hosts (plugins.* config). Loads
// each at start; reloads one or all on the node's "reload" command (what:
// plugins, or plugin:<name>) or, with plugins.watch, when a plugin file
// changes; unloads them when the node goes.
//
// A reload: load the new build from a fresh copy of the file, ask the old
// instance for its state, init the new one with it, swap the node's
// dispatch entries and commands at once, let calls already in flight finish
// on the old code, then unload it. A load that fails (missing symbol, ABI
// mismatch, init error, an id served by someone else) changes nothing: the
// old version keeps serving, and the error says why.
// Threads: loop-thread only.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "host/plugin_config.h"
#include "host/plugin_instance.h"
#include "node/node.h"

namespace polis::host {

class FileWatch;

class PluginHost {
 public:
  PluginHost(Node& node, PluginsConfig config);
  ~PluginHost();

  // Loads every configured plugin; the first that fails fails the start.
  Result<void> start();
  // Reloads plugin `name`, or every plugin when empty: what changed, or why not.
  Result<std::string> reload(const std::string& name);

  // For tests and metrics.
  const PluginInstance* current(const std::string& name) const;
  size_t retiring() const { return retiring_.size(); }

 private:
  struct Slot {
    PluginSpec spec;
    std::shared_ptr<PluginInstance> current;
    uint64_t versions = 0;
  };
  Result<std::string> reloadOne(Slot& slot);
  // Makes `fresh` the slot's live instance (handlers, then commands), or
  // changes nothing and says why.
  Result<void> install(Slot& slot, const std::shared_ptr<PluginInstance>& fresh);
  void retire(std::shared_ptr<PluginInstance> old);
  void drain(std::function<void()> done);

  Node& node_;
  PluginsConfig config_;
  std::map<std::string, Slot> slots_;
  std::vector<std::shared_ptr<PluginInstance>> retiring_;
  // Replaced instances that did not drain in time: kept loaded until the node
  // goes, because calls they serve still point to them.
  std::vector<std::shared_ptr<PluginInstance>> stuck_;
  TimerId sweep_ = 0;
  std::unique_ptr<FileWatch> watch_;
};

}  // namespace polis::host
