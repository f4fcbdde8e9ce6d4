#include "node/peers.h"

#include "base/completion.h"
#include "base/sleep.h"

namespace polis {

rpc::RpcClient& Peers::clientFor(const NodeInfo& node) {
  auto& client = clients_[node.name()];
  if (!client) {
    auto port = node.ports().count("rpc") ? node.ports().at("rpc") : 0;
    client = std::make_unique<rpc::RpcClient>(loop_, dispatcher_, options_, node.host(), static_cast<uint16_t>(port));
    client->start([](const rpc::Channel::Ptr&) {});
  }
  return *client;
}

void Peers::forgetDeparted() {
  std::erase_if(clients_, [this](const auto& item) {
    for (const auto& n : membership_.nodes()) {
      if (n.name() == item.first) return false;
    }
    return true;
  });
}

std::vector<NodeInfo> Peers::readyNodes(std::string_view role) const {
  std::vector<NodeInfo> ready;
  for (auto& n : membership_.nodes(role)) {
    if (n.state() == NODE_READY && n.name() != options_.local_name) ready.push_back(std::move(n));
  }
  return ready;
}

std::shared_ptr<rpc::Channel> Peers::readyChannel(std::string_view role) {
  auto ready = readyNodes(role);
  size_t& next = next_[std::string(role)];
  for (size_t tried = 0; tried < ready.size(); ++tried) {
    if (auto ch = clientFor(ready[next++ % ready.size()]).channel()) return ch;
  }
  return nullptr;
}

Task<Result<std::shared_ptr<rpc::Channel>>> Peers::channelTo(std::string role, std::chrono::milliseconds wait) {
  auto until = std::chrono::steady_clock::now() + wait;
  forgetDeparted();
  while (true) {
    if (readyNodes(role).empty()) co_return Error{Errc::kUnavailable, "no ready node of role " + role};
    if (auto ch = readyChannel(role)) co_return ch;
    if (std::chrono::steady_clock::now() >= until) {
      co_return Error{Errc::kUnavailable, "no connection to a node of role " + role + " yet"};
    }
    auto pause = sleepFor(loop_, std::chrono::milliseconds(5));
    co_await pause;
  }
}

Task<Result<std::string>> Peers::callBytes(std::string role, const rpc::MethodInfo& info, std::string body,
                                           rpc::CallOptions options) {
  auto wait = options.timeout.count() > 0 ? options.timeout : options_.default_timeout;
  auto channel = co_await channelTo(role, wait);
  if (!channel) co_return channel.error();
  auto made = Completion<Result<std::string>>::make();
  auto reply = std::move(made.first);
  (*channel)->call(info, rpc::FrameBody(std::string_view(body)), options,
                   [deliver = std::move(made.second)](Result<std::string_view> raw) {
                     if (!raw) {
                       deliver(raw.error());
                     } else {
                       deliver(std::string(*raw));
                     }
                   });
  auto answer = co_await reply;
  co_return answer;
}

}  // namespace polis
