#include "rpc/stub.h"

namespace polis::rpc {

Result<void> sendNotify(const std::shared_ptr<Channel>& channel, const MethodInfo& info,
                        const google::protobuf::MessageLite& msg, const CallOptions& options) {
  if (!channel) return Error{Errc::kUnavailable, "no connection for " + std::string(info.name)};
  return channel->notify(info, msg, options.route_key);
}

}  // namespace polis::rpc
