#include "host/plugin_config.h"

namespace polis::host {

PluginsConfig readPluginsConfig(ConfigReader& r) {
  using std::chrono::milliseconds;
  PluginsConfig c;
  for (const auto& name : r.strList("plugins.load", {})) {
    bool plain = !name.empty() && name.size() <= 64 &&
                 name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
    if (!plain) {
      r.reject("plugins.load", "plugin names of 1–64 a-z 0-9 _ -", "\"" + name + "\"");
      continue;
    }
    std::string prefix = "plugins." + name;
    PluginSpec spec{name, r.requiredStr(prefix + ".path"), r.section(prefix + ".config")};
    r.allowUnknownUnder(prefix + ".config");
    c.plugins.push_back(std::move(spec));
  }
  c.limits.handler_timeout = r.millis("plugins.handler_timeout", milliseconds(5000), milliseconds(10), milliseconds(600000));
  c.limits.unload_timeout = r.millis("plugins.unload_timeout", milliseconds(10000), milliseconds(10), milliseconds(600000));
  c.watch = r.boolean("plugins.watch", false);
  return c;
}

}  // namespace polis::host
