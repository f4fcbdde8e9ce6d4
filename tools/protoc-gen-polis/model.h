// The RPC view of the files of one protoc run: services, methods and their
// (polis.*) options, read once so that the checks and every backend agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>

namespace polis::protoc {

struct MethodModel {
  const google::protobuf::MethodDescriptor* descriptor;
  std::optional<uint32_t> id;  // nullopt: the (polis.msg_id) option is missing
  bool oneway = false;

  std::string name() const { return descriptor->name(); }
  // "Service.Method": the name logs, metrics and error messages use.
  std::string qualifiedName() const;
};

// (polis.client_access) of a service; values as in proto/polis/options.proto.
enum class ClientAccess { kNone = 0, kCalls = 1, kPushes = 2 };

struct ServiceModel {
  const google::protobuf::ServiceDescriptor* descriptor;
  std::vector<MethodModel> methods;
  ClientAccess client = ClientAccess::kNone;
};

struct FileModel {
  const google::protobuf::FileDescriptor* descriptor;
  std::vector<ServiceModel> services;
};

std::vector<FileModel> buildModel(const std::vector<const google::protobuf::FileDescriptor*>& files);

// Names source places for messages. protoc gives file names relative to the
// -I directory; `root` (that directory as the user knows it, e.g. "proto")
// is put back in front so the user can find the file.
class SourceNamer {
 public:
  explicit SourceNamer(std::string root) : root_(std::move(root)) {}
  std::string file(const google::protobuf::FileDescriptor& file) const;
  // "proto/game/room.proto:12", or without ":line" when protoc sent no source info.
  std::string place(const google::protobuf::MethodDescriptor& method) const;

 private:
  std::string root_;
};

}  // namespace polis::protoc
