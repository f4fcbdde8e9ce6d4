// Descriptors: the messages and services of a descriptor set (the build's
// `protoc --descriptor_set_out --include_imports` over proto/), for turning
// bytes into Lua tables and back with protobuf's own reflection, and the
// RPC methods scripts serve and call, with their (polis.msg_id).
//
// The (polis.msg_id) option is read through the generated
// google::protobuf::MethodOptions, whose extension polis/options.proto
// (compiled into every binary) registers.
// Threads: immutable once loaded; used on the loop thread.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "rpc/method.h"

namespace polis::lua {

struct Method {
  const google::protobuf::MethodDescriptor* descriptor;
  rpc::MethodInfo info;  // name interned: "Service.Method", as generated code names it
};

class Descriptors {
 public:
  // Reads a serialized FileDescriptorSet. The error names the file and what is wrong.
  static Result<std::unique_ptr<Descriptors>> load(const std::string& path);

  // A service by full name ("game.Guestbook") or, when only one package has
  // it, by its short name ("Guestbook").
  Result<const google::protobuf::ServiceDescriptor*> service(std::string_view name) const;
  // A method by "Service.Method" (short or full service name); null when unknown.
  const Method* method(std::string_view name) const;
  const Method* method(const google::protobuf::MethodDescriptor* descriptor) const;

  const google::protobuf::DescriptorPool& pool() const { return pool_; }
  // A field of `type` by name, without building a string per lookup (a
  // cache per type, valid as long as this object: the types of its pool die
  // with it, and compiled-in ones never do).
  const google::protobuf::FieldDescriptor* field(const google::protobuf::Descriptor* type, std::string_view name) const;
  // One reusable message of the type, cleared (the loop is single-threaded).
  google::protobuf::Message& scratch(const google::protobuf::Descriptor* type);

 private:
  Descriptors() = default;
  Result<void> index(const google::protobuf::FileDescriptor* file);

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_{&pool_};
  std::map<std::string, std::unique_ptr<Method>, std::less<>> methods_;  // by "pkg.Service.Method"
  std::map<std::string, std::vector<const google::protobuf::ServiceDescriptor*>, std::less<>> short_names_;
  std::unordered_map<const google::protobuf::Descriptor*, std::unique_ptr<google::protobuf::Message>> scratch_;
  using Fields = std::vector<std::pair<std::string_view, const google::protobuf::FieldDescriptor*>>;
  mutable std::unordered_map<const google::protobuf::Descriptor*, Fields> fields_;
  mutable std::pair<const google::protobuf::Descriptor*, const Fields*> last_fields_{nullptr, nullptr};
};

}  // namespace polis::lua
