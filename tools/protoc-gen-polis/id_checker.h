// Checks the (polis.*) options of every method across all files of one protoc
// run, before any backend writes a byte: ids present, in range and unique;
// oneway methods return polis.Empty; no streaming; pushes to clients oneway.
//
// Uniqueness is only visible within one run, so ids below 1000 are kept for
// the runtime's own package: game protos, compiled in their own runs, can then
// never collide with a runtime id (see proto/polis/options.proto).
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace polis::protoc {

inline constexpr uint32_t kMaxMsgId = 65279;         // 65280..65535 reserved
inline constexpr uint32_t kFirstGameMsgId = 1000;    // 1..999: package polis only

// One message per problem, in file order; empty when the run may generate code.
std::vector<std::string> checkMethods(const std::vector<FileModel>& files, const SourceNamer& names);

}  // namespace polis::protoc
