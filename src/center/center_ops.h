// The center's membership as JSON on its ops port (/members), for operators,
// the local cluster launcher and tests.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "center/registry_service.h"

namespace polis::center {

nlohmann::json membersJson(const RegistryService& service, const std::string& center_name);

}  // namespace polis::center
