// Names both C++ backends (services for binaries, services for plugins) give
// the code they generate for one proto file, so the two always agree.
#pragma once

#include <map>
#include <set>
#include <string>

#include <google/protobuf/descriptor.h>

#include "model.h"

namespace polis::protoc {

// "game/rooms" for game/rooms.proto.
std::string stem(const google::protobuf::FileDescriptor& file);
// "game::rooms::gen" for package game.rooms; "gen" for no package.
std::string genNamespace(const google::protobuf::FileDescriptor& file);
// A method's printer variables: $S$ service, $M$ method, $id$, $oneway$,
// $Req$ / $Resp$ (qualified C++ message types).
std::map<std::string, std::string> methodVars(const MethodModel& m);
// The .pb.h files declaring the request and response types, besides the file's own.
std::set<std::string> messageHeaders(const FileModel& file);

}  // namespace polis::protoc
