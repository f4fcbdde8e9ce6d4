#include "message_table.h"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

namespace polis::protoc {

namespace {

struct Entry {
  uint32_t id;
  int order;  // request 0, response 1, push 2: a request before its response
  nlohmann::ordered_json json;
};

nlohmann::ordered_json entry(uint32_t id, const char* kind, const google::protobuf::Descriptor& message,
                             const MethodModel& m) {
  nlohmann::ordered_json e;
  e["id"] = id;
  e["kind"] = kind;
  e["message"] = message.full_name();
  e["service"] = m.descriptor->service()->full_name();
  e["method"] = m.descriptor->name();
  return e;
}

}  // namespace

std::string messageTableJson(const std::vector<FileModel>& files) {
  std::vector<Entry> entries;
  for (const FileModel& file : files) {
    for (const ServiceModel& service : file.services) {
      if (service.client == ClientAccess::kNone) continue;
      for (const MethodModel& m : service.methods) {
        uint32_t id = *m.id;  // checked before any backend runs
        if (service.client == ClientAccess::kPushes) {
          entries.push_back({id, 2, entry(id, "push", *m.descriptor->input_type(), m)});
          continue;
        }
        auto request = entry(id, "request", *m.descriptor->input_type(), m);
        request["oneway"] = m.oneway;
        entries.push_back({id, 0, std::move(request)});
        if (!m.oneway) entries.push_back({id, 1, entry(id, "response", *m.descriptor->output_type(), m)});
      }
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.id, a.order) < std::tie(b.id, b.order); });
  nlohmann::ordered_json table;
  table["format"] = 1;
  table["messages"] = nlohmann::ordered_json::array();
  for (auto& e : entries) table["messages"].push_back(std::move(e.json));
  return table.dump(2) + "\n";
}

}  // namespace polis::protoc
