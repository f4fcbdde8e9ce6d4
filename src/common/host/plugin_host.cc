#include "host/plugin_host.h"

#include <filesystem>

#include "base/log.h"
#include "base/metrics.h"
#include "host/file_watch.h"

namespace polis::host {
namespace {

constexpr auto kSweepInterval = std::chrono::milliseconds(100);

metrics::Counter& reloads(const char* outcome) {
  return metrics::Registry::global().counter("polis_plugin_reloads_total", "Plugin loads and reloads, by outcome.",
                                             {{"outcome", outcome}});
}

}  // namespace

PluginHost::PluginHost(Node& node, PluginsConfig config) : node_(node), config_(std::move(config)) {
  for (const auto& spec : config_.plugins) slots_[spec.name].spec = spec;
  node_.onReload("plugins", [this]() -> Task<Result<std::string>> { co_return reload(""); });
  node_.onDrain([this](std::function<void()> done) { drain(std::move(done)); });
  sweep_ = node_.loop().runEvery(kSweepInterval, [this] {
    for (auto& [name, slot] : slots_) {
      if (slot.current) slot.current->sweepTimeouts();
    }
    for (auto& old : retiring_) old->sweepTimeouts();
  });
  if (config_.watch) {
    std::vector<std::string> paths;
    for (const auto& spec : config_.plugins) paths.push_back(spec.path);
    watch_ = std::make_unique<FileWatch>(node_.loop(), paths, [this](const std::string& path) {
      for (auto& [name, slot] : slots_) {
        if (std::filesystem::absolute(slot.spec.path).lexically_normal() != path) continue;
        auto done = reloadOne(slot);
        if (done) {
          log::info("{} changed: {}", path, *done);
        } else {
          log::error("{} changed but did not load: {}", path, done.error().message);
        }
      }
    });
  }
}

PluginHost::~PluginHost() {
  node_.loop().cancel(sweep_);
  // The node is going: whatever is still loaded goes with it (the loop has
  // stopped, so no plugin code runs again).
  for (auto& [name, slot] : slots_) {
    if (!slot.current) continue;
    node_.removeHandlers(slot.current->owner());
    slot.current->shutdown();
  }
  for (auto& old : retiring_) old->shutdown();
  for (auto& old : stuck_) old->shutdown();
}

Result<void> PluginHost::start() {
  for (auto& [name, slot] : slots_) {
    auto loaded = reloadOne(slot);
    if (!loaded) return loaded.error();
    log::info("{}", *loaded);
  }
  return {};
}

const PluginInstance* PluginHost::current(const std::string& name) const {
  auto it = slots_.find(name);
  return it == slots_.end() ? nullptr : it->second.current.get();
}

Result<std::string> PluginHost::reload(const std::string& name) {
  if (!name.empty()) {
    auto it = slots_.find(name);
    if (it == slots_.end()) return Error{Errc::kNotFound, "no plugin " + name + " here"};
    return reloadOne(it->second);
  }
  std::string out;
  for (auto& [plugin, slot] : slots_) {
    auto done = reloadOne(slot);
    if (!done) return done.error();
    out += *done + "\n";
  }
  if (out.empty()) return std::string("no plugins configured");
  out.pop_back();
  return out;
}

Result<std::string> PluginHost::reloadOne(Slot& slot) {
  std::shared_ptr<PluginInstance> old = slot.current;
  std::string state = old ? old->saveState() : std::string();
  auto fresh = std::make_shared<PluginInstance>(node_, slot.spec, slot.versions + 1, config_.limits);
  auto started = fresh->start(state);
  if (!started) {
    reloads("failed").inc();
    std::string serving = old ? "; load #" + std::to_string(old->version()) + " keeps serving" : "";
    return Error{started.error().code, started.error().message + serving};
  }
  if (auto installed = install(slot, fresh); !installed) {
    reloads("failed").inc();
    retire(fresh);
    std::string serving = old ? "; load #" + std::to_string(old->version()) + " keeps serving" : "";
    return Error{installed.error().code, "plugin " + slot.spec.name + ": " + installed.error().message + serving};
  }
  ++slot.versions;
  slot.current = fresh;
  reloads(old ? "reloaded" : "loaded").inc();
  if (old) retire(old);
  return "plugin " + slot.spec.name + ": load #" + std::to_string(fresh->version()) + " serving" +
         (old ? " (" + std::to_string(state.size()) + " bytes of state from load #" + std::to_string(old->version()) + ")"
              : "");
}

Result<void> PluginHost::install(Slot& slot, const std::shared_ptr<PluginInstance>& fresh) {
  const std::string owner = fresh->owner();
  if (auto swapped = node_.setHandlers(owner, fresh->handlers()); !swapped) return swapped.error();
  node_.commands().removeOwner(owner);
  if (auto added = fresh->addCommands(node_.commands()); !added) {
    // Put the old version back as it was: its handlers, then its commands.
    if (slot.current) {
      (void)node_.setHandlers(owner, slot.current->handlers());
      (void)slot.current->addCommands(node_.commands());
    } else {
      node_.removeHandlers(owner);
    }
    return added.error();
  }
  return {};
}

void PluginHost::retire(std::shared_ptr<PluginInstance> old) {
  retiring_.push_back(old);
  spawn([](PluginHost* host, std::shared_ptr<PluginInstance> old) -> Task<void> {
    auto retiring = old->retire();
    bool unloaded = co_await std::move(retiring);
    if (!unloaded) host->stuck_.push_back(old);
    std::erase(host->retiring_, old);
  }(this, std::move(old)));
}

void PluginHost::drain(std::function<void()> done) {
  auto left = std::make_shared<size_t>(1);  // one for this loop, released below
  auto finish = [left, done] {
    if (--*left == 0) done();
  };
  for (auto& [name, slot] : slots_) {
    if (!slot.current) continue;
    ++*left;
    slot.current->drain(finish);
  }
  finish();
}

}  // namespace polis::host
