#include "id_checker.h"

#include <map>

namespace polis::protoc {

namespace gp = google::protobuf;

namespace {

bool isRuntimePackage(const std::string& package) {
  return package == "polis" || package.rfind("polis.", 0) == 0;
}

// Problems of one method on its own; the cross-file duplicate check is separate.
void checkOne(const MethodModel& m, const SourceNamer& names, std::vector<std::string>& errors) {
  const gp::MethodDescriptor& d = *m.descriptor;
  const std::string head = names.place(d) + ": " + m.qualifiedName();
  if (d.client_streaming() || d.server_streaming()) {
    errors.push_back(head + " is streaming; Polis methods are unary or (polis.oneway)");
  }
  if (m.oneway && d.output_type()->full_name() != "polis.Empty") {
    errors.push_back(head + " is (polis.oneway) but returns " + d.output_type()->full_name() +
                     "; a oneway method must return polis.Empty");
  }
  if (!m.id) {
    errors.push_back(head + " has no (polis.msg_id) option");
  } else if (*m.id == 0 || *m.id > kMaxMsgId) {
    errors.push_back(head + " has msg_id " + std::to_string(*m.id) + "; ids are 1.." +
                     std::to_string(kMaxMsgId) + " (higher ones are reserved)");
  } else if (*m.id < kFirstGameMsgId && !isRuntimePackage(d.file()->package())) {
    errors.push_back(head + " has msg_id " + std::to_string(*m.id) +
                     "; ids below 1000 belong to the runtime (package polis), game services use 1000.." +
                     std::to_string(kMaxMsgId));
  }
}

}  // namespace

std::vector<std::string> checkMethods(const std::vector<FileModel>& files, const SourceNamer& names) {
  std::vector<std::string> errors;
  std::map<uint32_t, const MethodModel*> first_use;
  for (const FileModel& file : files) {
    for (const ServiceModel& service : file.services) {
      for (const MethodModel& m : service.methods) {
        checkOne(m, names, errors);
        if (service.client == ClientAccess::kPushes && !m.oneway) {
          errors.push_back(names.place(*m.descriptor) + ": " + m.qualifiedName() +
                           " is in a (polis.client_access) = CLIENT_PUSHES service but not (polis.oneway); "
                           "a push has no reply");
        }
        if (!m.id) continue;
        auto [it, fresh] = first_use.emplace(*m.id, &m);
        if (fresh) continue;
        const MethodModel& other = *it->second;
        errors.push_back("msg_id " + std::to_string(*m.id) + " is used twice: " +
                         names.place(*other.descriptor) + " " + other.qualifiedName() + " and " +
                         names.place(*m.descriptor) + " " + m.qualifiedName());
      }
    }
  }
  return errors;
}

}  // namespace polis::protoc
