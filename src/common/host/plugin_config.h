// The plugins.* settings of a node (docs/plugins.md, docs/configuration.md):
//
//   plugins:
//     load: [guestbook]                 # which plugins, by name (a-z 0-9 _ -)
//     guestbook:
//       path: /opt/polis/plugins/libguestbook.so
//       config: {greeting: hello}      # free-form, the plugin's own (polis::plugin::config)
//     handler_timeout: 5s               # a call a plugin leaves unanswered fails then
//     unload_timeout: 10s               # how long a replaced instance may take to finish its calls
//     watch: false                      # reload a plugin when its file changes (development)
#pragma once

#include <vector>

#include "base/config.h"
#include "host/plugin_instance.h"

namespace polis::host {

struct PluginsConfig {
  std::vector<PluginSpec> plugins;
  PluginLimits limits;
  bool watch = false;
};

PluginsConfig readPluginsConfig(ConfigReader& reader);

}  // namespace polis::host
