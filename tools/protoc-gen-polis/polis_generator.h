// The protoc CodeGenerator: reads the model of all files in the run, checks
// the ids across them, then hands each file to every backend.
//
// Parameter (--polis_out=PARAM:DIR or --polis_opt=PARAM), comma-separated:
//   root=DIR    the -I directory as the user knows it, put in front of file
//               names in error messages (e.g. root=proto)
//   table=FILE  write only the message table (message_table.h) to FILE, over
//               every file of the run, instead of the per-file outputs
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/compiler/code_generator.h>

#include "backend.h"

namespace polis::protoc {

class PolisGenerator final : public google::protobuf::compiler::CodeGenerator {
 public:
  void addBackend(std::unique_ptr<Backend> backend) { backends_.push_back(std::move(backend)); }

  bool GenerateAll(const std::vector<const google::protobuf::FileDescriptor*>& files, const std::string& parameter,
                   google::protobuf::compiler::GeneratorContext* context, std::string* error) const override;
  bool Generate(const google::protobuf::FileDescriptor* file, const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context, std::string* error) const override;
  uint64_t GetSupportedFeatures() const override { return FEATURE_PROTO3_OPTIONAL; }

 private:
  std::vector<std::unique_ptr<Backend>> backends_;
};

}  // namespace polis::protoc
