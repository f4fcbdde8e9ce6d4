// One output language of the plugin. The C++ backend writes services and
// stubs; SDK and Lua message tables will be further backends beside it.
// Backends run only after the whole protoc run passed checkMethods(), so they
// may assume every method has a valid, unique id.
#pragma once

#include <string>

#include <google/protobuf/compiler/code_generator.h>

#include "model.h"

namespace polis::protoc {

class Backend {
 public:
  virtual ~Backend() = default;
  // Writes the outputs for one input file, even when it has no services
  // (build systems list outputs without reading the protos). Returns false
  // with *error set on failure.
  virtual bool generate(const FileModel& file, google::protobuf::compiler::GeneratorContext& context,
                        std::string* error) const = 0;
};

}  // namespace polis::protoc
