// The message table: every client-visible message of a protoc run as JSON,
// the one list of ids SDKs, the stress tool, docs/protocol.md and outside
// clients use. Written instead of the per-file outputs when the run's
// parameter has table=FILE (proto/CMakeLists.txt runs protoc once over every
// proto for it, which also checks ids across all of them).
//
//   {"format": 1, "messages": [
//     {"id": 1000, "kind": "request",  "message": "game.Sign",    "service": "game.Guestbook", "method": "Sign", "oneway": false},
//     {"id": 1000, "kind": "response", "message": "game.SignAck", "service": "game.Guestbook", "method": "Sign"},
//     {"id": 212,  "kind": "push",     "message": "polis.client.Error", "service": "polis.client.SessionPush", "method": "Error"}]}
//
// Entries are sorted by id, a request before its response. A oneway request
// has no response entry.
#pragma once

#include <string>
#include <vector>

#include "model.h"

namespace polis::protoc {

std::string messageTableJson(const std::vector<FileModel>& files);

}  // namespace polis::protoc
