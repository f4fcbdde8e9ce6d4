// The plugin backend: for X.proto writes X.polis_plugin.h, header-only,
// holding per service S `<package>::gen::S` with the method constants, the
// abstract S::Service a plugin implements and the S::Stub it calls other
// nodes with — the same names as the C++ backend's, compiled against the
// plugin SDK (src/common/host/sdk/polis/plugin.h) instead of the runtime,
// so a plugin never links the host's libraries.
#pragma once

#include "backend.h"

namespace polis::protoc {

class PluginBackend final : public Backend {
 public:
  bool generate(const FileModel& file, google::protobuf::compiler::GeneratorContext& context,
                std::string* error) const override;
};

}  // namespace polis::protoc
