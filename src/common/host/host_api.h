// The host's side of the plugin C ABI: the polis_host_api table every
// plugin instance is given. Each function forwards to the PluginInstance
// behind the polis_host pointer; none lets an exception out.
#pragma once

#include "polis/plugin_abi.h"

namespace polis::host {

const polis_host_api& hostApi();

}  // namespace polis::host
