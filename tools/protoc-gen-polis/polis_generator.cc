#include "polis_generator.h"

#include <utility>

#include "id_checker.h"

namespace polis::protoc {

namespace gp = google::protobuf;
namespace gpc = google::protobuf::compiler;

namespace {

bool parseParameter(const std::string& parameter, std::string* root, std::string* error) {
  std::vector<std::pair<std::string, std::string>> options;
  gpc::ParseGeneratorParameter(parameter, &options);
  for (const auto& [key, value] : options) {
    if (key == "root") {
      *root = value;
    } else {
      *error = "protoc-gen-polis: unknown parameter '" + key + "' (known: root=DIR)";
      return false;
    }
  }
  return true;
}

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += "\n";
    out += line;
  }
  return out;
}

}  // namespace

bool PolisGenerator::GenerateAll(const std::vector<const gp::FileDescriptor*>& files, const std::string& parameter,
                                 gpc::GeneratorContext* context, std::string* error) const {
  std::string root;
  if (!parseParameter(parameter, &root, error)) return false;
  const std::vector<FileModel> model = buildModel(files);
  // All problems at once, so one protoc run shows everything to fix.
  if (auto problems = checkMethods(model, SourceNamer(root)); !problems.empty()) {
    *error = joinLines(problems);
    return false;
  }
  for (const FileModel& file : model) {
    for (const auto& backend : backends_) {
      if (!backend->generate(file, *context, error)) return false;
    }
  }
  return true;
}

// protoc calls GenerateAll; this only exists because CodeGenerator requires it.
bool PolisGenerator::Generate(const gp::FileDescriptor* file, const std::string& parameter,
                              gpc::GeneratorContext* context, std::string* error) const {
  return GenerateAll({file}, parameter, context, error);
}

}  // namespace polis::protoc
