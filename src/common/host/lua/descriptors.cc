#include "host/lua/descriptors.h"

#include <google/protobuf/descriptor.pb.h>

#include <fstream>

#include "polis/options.pb.h"
#include "rpc/handler_table.h"

namespace polis::lua {

namespace gp = google::protobuf;

namespace {

void dropJsonNames(gp::DescriptorProto& d) {
  for (auto& f : *d.mutable_field()) f.clear_json_name();
  for (auto& nested : *d.mutable_nested_type()) dropJsonNames(nested);
}

// The same fields, numbers, types and nested types (json names aside: a
// descriptor set records them, generated code does not).
bool sameShape(const gp::Descriptor* a, const gp::Descriptor* b) {
  gp::DescriptorProto pa, pb;
  a->CopyTo(&pa);
  b->CopyTo(&pb);
  dropJsonNames(pa);
  dropJsonNames(pb);
  return pa.SerializeAsString() == pb.SerializeAsString();
}

}  // namespace

Result<std::unique_ptr<Descriptors>> Descriptors::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errc::kNotFound, "cannot read the descriptor set " + path};
  gp::FileDescriptorSet set;
  if (!set.ParseFromIstream(&in)) return Error{Errc::kInvalidArgument, path + " is not a FileDescriptorSet"};
  std::unique_ptr<Descriptors> d(new Descriptors());
  // --include_imports writes every file after the files it imports.
  for (const auto& proto : set.file()) {
    const gp::FileDescriptor* file = d->pool_.BuildFile(proto);
    if (!file) return Error{Errc::kInvalidArgument, path + ": cannot build " + proto.name()};
    if (auto ok = d->index(file); !ok) return Error{ok.error().code, path + ": " + ok.error().message};
  }
  return d;
}

Result<void> Descriptors::index(const gp::FileDescriptor* file) {
  for (int s = 0; s < file->service_count(); ++s) {
    const gp::ServiceDescriptor* service = file->service(s);
    short_names_[service->name()].push_back(service);
    for (int m = 0; m < service->method_count(); ++m) {
      const gp::MethodDescriptor* method = service->method(m);
      uint32_t id = method->options().GetExtension(polis::msg_id);
      if (id == 0 || id > 0xffff) {
        return Error{Errc::kInvalidArgument, method->full_name() + " has no valid (polis.msg_id)"};
      }
      std::string name = service->name() + "." + method->name();
      auto entry = std::make_unique<Method>(Method{
          method, rpc::MethodInfo{static_cast<uint16_t>(id), rpc::internMethodName(name),
                                  method->options().GetExtension(polis::oneway)}});
      methods_[method->full_name()] = std::move(entry);
    }
  }
  return {};
}

Result<const gp::ServiceDescriptor*> Descriptors::service(std::string_view name) const {
  if (const auto* full = pool_.FindServiceByName(std::string(name))) return full;
  auto it = short_names_.find(name);
  if (it == short_names_.end()) return Error{Errc::kNotFound, "no service " + std::string(name) + " in the protos"};
  if (it->second.size() > 1) {
    return Error{Errc::kInvalidArgument, "service " + std::string(name) + " is in several packages (" +
                                             it->second[0]->full_name() + ", " + it->second[1]->full_name() +
                                             "): give the full name"};
  }
  return it->second.front();
}

const Method* Descriptors::method(std::string_view name) const {
  auto exact = methods_.find(name);
  if (exact != methods_.end()) return exact->second.get();
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return nullptr;
  auto service = this->service(name.substr(0, dot));
  if (!service) return nullptr;
  const auto* method = (*service)->FindMethodByName(std::string(name.substr(dot + 1)));
  return method ? this->method(method) : nullptr;
}

const Method* Descriptors::method(const gp::MethodDescriptor* descriptor) const {
  auto it = methods_.find(descriptor->full_name());
  return it == methods_.end() ? nullptr : it->second.get();
}

const gp::FieldDescriptor* Descriptors::field(const gp::Descriptor* type, std::string_view name) const {
  if (last_fields_.first != type) {
    Fields& fields = fields_[type];
    if (fields.empty()) {
      for (int i = 0; i < type->field_count(); ++i) fields.emplace_back(type->field(i)->name(), type->field(i));
    }
    last_fields_ = {type, &fields};
  }
  for (const auto& [field_name, field] : *last_fields_.second) {
    if (field_name == name) return field;
  }
  return nullptr;
}

// A type compiled into this binary parses and serializes with its generated
// code (several times faster than a DynamicMessage); reflection reads it the
// same way. Only when the binary's type is the very one in the set.
gp::Message& Descriptors::scratch(const gp::Descriptor* type) {
  auto& message = scratch_[type];
  if (!message) {
    const gp::Descriptor* compiled = gp::DescriptorPool::generated_pool()->FindMessageTypeByName(type->full_name());
    if (compiled && sameShape(compiled, type)) {
      message.reset(gp::MessageFactory::generated_factory()->GetPrototype(compiled)->New());
    } else {
      message.reset(factory_.GetPrototype(type)->New());
    }
  }
  message->Clear();
  return *message;
}

}  // namespace polis::lua
