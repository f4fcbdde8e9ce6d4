#include "generated_names.h"

#include <google/protobuf/compiler/cpp/names.h>

namespace polis::protoc {

namespace gp = google::protobuf;

std::string stem(const gp::FileDescriptor& file) { return gp::compiler::cpp::StripProto(file.name()); }

std::string genNamespace(const gp::FileDescriptor& file) {
  std::string ns = file.package();
  for (size_t pos = 0; (pos = ns.find('.', pos)) != std::string::npos; pos += 2) ns.replace(pos, 1, "::");
  return ns.empty() ? "gen" : ns + "::gen";
}

std::map<std::string, std::string> methodVars(const MethodModel& m) {
  return {{"S", m.descriptor->service()->name()},
          {"M", m.name()},
          {"id", std::to_string(*m.id)},
          {"oneway", m.oneway ? "true" : "false"},
          {"Req", gp::compiler::cpp::QualifiedClassName(m.descriptor->input_type())},
          {"Resp", gp::compiler::cpp::QualifiedClassName(m.descriptor->output_type())}};
}

std::set<std::string> messageHeaders(const FileModel& file) {
  std::set<std::string> headers{stem(*file.descriptor) + ".pb.h"};
  for (const ServiceModel& s : file.services) {
    for (const MethodModel& m : s.methods) {
      headers.insert(stem(*m.descriptor->input_type()->file()) + ".pb.h");
      headers.insert(stem(*m.descriptor->output_type()->file()) + ".pb.h");
    }
  }
  return headers;
}

}  // namespace polis::protoc
