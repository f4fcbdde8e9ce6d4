#include "model.h"

#include "polis/options.pb.h"

namespace polis::protoc {

namespace gp = google::protobuf;

std::string MethodModel::qualifiedName() const {
  return descriptor->service()->name() + "." + descriptor->name();
}

static MethodModel readMethod(const gp::MethodDescriptor* method) {
  // The options arrive parsed with the extensions this binary links in
  // (options.pb.cc), so GetExtension sees them.
  const gp::MethodOptions& options = method->options();
  MethodModel m{method, std::nullopt, options.GetExtension(polis::oneway)};
  if (options.HasExtension(polis::msg_id)) m.id = options.GetExtension(polis::msg_id);
  return m;
}

std::vector<FileModel> buildModel(const std::vector<const gp::FileDescriptor*>& files) {
  std::vector<FileModel> model;
  for (const gp::FileDescriptor* file : files) {
    FileModel f{file, {}};
    for (int s = 0; s < file->service_count(); ++s) {
      ServiceModel service{file->service(s), {}, ClientAccess::kNone};
      service.client = static_cast<ClientAccess>(service.descriptor->options().GetExtension(polis::client_access));
      for (int m = 0; m < service.descriptor->method_count(); ++m) {
        service.methods.push_back(readMethod(service.descriptor->method(m)));
      }
      f.services.push_back(std::move(service));
    }
    model.push_back(std::move(f));
  }
  return model;
}

std::string SourceNamer::file(const gp::FileDescriptor& file) const {
  if (root_.empty()) return file.name();
  return root_ + "/" + file.name();
}

std::string SourceNamer::place(const gp::MethodDescriptor& method) const {
  std::string where = file(*method.file());
  gp::SourceLocation location;
  if (method.GetSourceLocation(&location)) where += ":" + std::to_string(location.start_line + 1);
  return where;
}

}  // namespace polis::protoc
