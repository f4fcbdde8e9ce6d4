// polis-center: the registry and health service of a Polis cluster.
#include <nlohmann/json.hpp>

#include "center/center_ops.h"
#include "center/control_service.h"
#include "center/registry_service.h"
#include "node/node_main.h"

int main(int argc, char** argv) {
  using namespace polis;
  center::CenterOptions options;
  RoleSpec spec;
  spec.role = "center";
  spec.summary = "registry and health: nodes register, heartbeat and report load; subscribers get the membership; "
                 "operator commands fanned out to nodes";
  spec.needs_centers = false;
  spec.read_config = [&](ConfigReader& r) {
    using std::chrono::milliseconds;
    options.heartbeat_timeout =
        r.millis("center.heartbeat_timeout", milliseconds(3000), milliseconds(100), milliseconds(600000));
  };
  spec.setup = [&](Node& node) -> Result<void> {
    options.heartbeat = node.config().heartbeat;
    auto& service = node.adopt(std::make_unique<center::RegistryService>(node.loop(), node.config().name, options));
    node.addService(service);
    node.addService(node.adopt(std::make_unique<center::ControlService>(service)));
    node.rpcServer().onChannelClosed([&service](const rpc::Channel::Ptr& ch) { service.channelClosed(*ch); });
    node.ops().route("/members", [&service, &node](const net::HttpRequest&) {
      auto body = center::membersJson(service, node.config().name).dump() + "\n";
      return net::HttpResponse{200, "application/json", body};
    });
    service.start();
    return {};
  };
  return runNode(spec, argc, argv);
}
