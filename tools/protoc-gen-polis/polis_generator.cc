#include "polis_generator.h"

#include <memory>
#include <utility>

#include <google/protobuf/io/printer.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include "id_checker.h"
#include "message_table.h"

namespace polis::protoc {

namespace gp = google::protobuf;
namespace gpc = google::protobuf::compiler;

namespace {

struct Parameters {
  std::string root;
  std::string table;  // non-empty: write only the message table, to this file
};

bool parseParameter(const std::string& parameter, Parameters* out, std::string* error) {
  std::vector<std::pair<std::string, std::string>> options;
  gpc::ParseGeneratorParameter(parameter, &options);
  for (const auto& [key, value] : options) {
    if (key == "root") {
      out->root = value;
    } else if (key == "table") {
      out->table = value;
    } else {
      *error = "protoc-gen-polis: unknown parameter '" + key + "' (known: root=DIR, table=FILE)";
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
  Parameters params;
  if (!parseParameter(parameter, &params, error)) return false;
  const std::vector<FileModel> model = buildModel(files);
  // All problems at once, so one protoc run shows everything to fix.
  if (auto problems = checkMethods(model, SourceNamer(params.root)); !problems.empty()) {
    *error = joinLines(problems);
    return false;
  }
  if (!params.table.empty()) {
    std::unique_ptr<gp::io::ZeroCopyOutputStream> out(context->Open(params.table));
    gp::io::Printer printer(out.get(), '$');
    printer.PrintRaw(messageTableJson(model));
    return true;
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
