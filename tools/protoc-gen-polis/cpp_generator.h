// The C++ backend: for X.proto writes X.polis.h / X.polis.cc holding, per
// service S, `<package>::gen::S` with the method constants, the abstract
// S::Service a node implements, and the typed S::Stub that calls it.
// The generated code compiles against src/common/rpc/{service,stub}.h.
#pragma once

#include "backend.h"

namespace polis::protoc {

class CppBackend final : public Backend {
 public:
  bool generate(const FileModel& file, google::protobuf::compiler::GeneratorContext& context,
                std::string* error) const override;
};

}  // namespace polis::protoc
