// protoc-gen-polis: protoc plugin generating Polis RPC services and stubs
// from services whose methods carry (polis.msg_id). See polis_generator.h.
#include <memory>

#include <google/protobuf/compiler/plugin.h>

#include "cpp_generator.h"
#include "plugin_generator.h"
#include "polis_generator.h"

int main(int argc, char* argv[]) {
  polis::protoc::PolisGenerator generator;
  generator.addBackend(std::make_unique<polis::protoc::CppBackend>());
  generator.addBackend(std::make_unique<polis::protoc::PluginBackend>());
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
