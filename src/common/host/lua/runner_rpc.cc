// Runner's half of rpc.call (the Lua half is api_rpc.cc): the request
// encoded, the call made through the node's peers by a detached C++
// coroutine, the reply handed back to the suspended run.
#include <lua.hpp>

#include "host/lua/proto_codec.h"
#include "host/lua/runner.h"

namespace polis::lua {

bool Runner::startCall(lua_State* L, Invocation& inv, std::string role, std::string_view name, int request,
                       std::chrono::milliseconds timeout, uint64_t route_key) noexcept {
  const Method* method = descriptors_.method(name);
  if (!method) {
    inv.call_error = Error{Errc::kNoSuchMethod, "no method " + std::string(name) + " in the descriptor set"};
    return false;
  }
  if (method->info.oneway) {
    inv.call_error = Error{Errc::kInvalidArgument, std::string(name) + " is oneway: there is no reply to wait for"};
    return false;
  }
  auto& message = descriptors_.scratch(method->descriptor->input_type());
  if (request != 0 && !tableToMessage(L, request, descriptors_, message, inv.scratch)) {
    inv.call_error = Error{Errc::kInvalidArgument, inv.scratch};
    return false;
  }
  inv.calling = method;
  inv.call_seq = next_seq_++;
  inv.reply.reset();
  rpc::CallOptions options;
  options.timeout = timeout.count() > 0 ? timeout : call_timeout_;
  options.route_key = route_key;
  callPeer(alive_, this, inv.id, inv.call_seq, std::move(role), &method->info, message.SerializeAsString(), options);
  return true;
}

Detached Runner::callPeer(std::weak_ptr<bool> alive, Runner* self, uint64_t id, uint64_t seq, std::string role,
                          const rpc::MethodInfo* info, std::string body, rpc::CallOptions options) {
  auto calling = self->call_peer_(std::move(role), *info, std::move(body), options);
  auto reply = co_await std::move(calling);
  if (alive.expired()) co_return;
  self->onReply(id, seq, std::move(reply));
}

void Runner::onReply(uint64_t id, uint64_t seq, Result<std::string> reply) {
  Invocation* found = find(id);
  if (!found || found->call_seq != seq || found->reply) return;
  Invocation& inv = *found;
  inv.reply.emplace(std::move(reply));
  if (!inv.waiting) return;  // rpc.call has not yielded yet: it takes the reply itself
  inv.waiting = false;
  resume(inv, 0);
}

const google::protobuf::Message* Runner::takeReply(Invocation& inv) noexcept {
  Result<std::string> reply = std::move(*inv.reply);
  inv.reply.reset();
  if (!reply) {
    inv.call_error = reply.error();
    return nullptr;
  }
  auto& message = descriptors_.scratch(inv.calling->descriptor->output_type());
  if (!message.ParseFromString(*reply)) {
    inv.call_error = Error{Errc::kBadMessage, "cannot parse the reply of " + std::string(inv.calling->info.name)};
    return nullptr;
  }
  return &message;
}

}  // namespace polis::lua
