#include "ctl_args.h"

#include <fstream>
#include <sstream>

#include "net/endpoint.h"

namespace polis::ctl {

const char* const kUsage =
    "usage: polis-ctl [--center host:port] [--secret-file path] [--timeout seconds] <command> [target]\n"
    "  members                         every node the center knows\n"
    "  commands                        each node's operator commands\n"
    "  run <command> [name=value ...]  run an operator command\n"
    "  reload [plugins|lua]            reload game code\n"
    "  drain                           drain (needs --node or --role)\n"
    "  target: --all (default) | --role <role> | --node <name>\n"
    "The secret comes from POLIS_CLUSTER__SECRET or --secret-file; the center from --center or\n"
    "the first entry of POLIS_CLUSTER__CENTERS.\n";

namespace {

Error usage(const std::string& what) { return Error{Errc::kInvalidArgument, what}; }

std::string firstCenter(const char* env) {
  if (!env) return "127.0.0.1:17000";
  std::string list = env;
  return list.substr(0, list.find(','));
}

Result<std::string> readSecret(const std::string& path) {
  std::ifstream in(path);
  if (!in) return usage("cannot read the secret file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

}  // namespace

Result<Request> parseArgs(const std::vector<std::string>& args, const char* centers_env, const char* secret_env) {
  Request r;
  r.center = firstCenter(centers_env);
  std::optional<std::string> secret_file;
  std::vector<std::string> words;
  Target target;
  uint32_t timeout_s = 10;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool takes_value = a == "--center" || a == "--secret-file" || a == "--timeout" || a == "--role" || a == "--node";
    if (takes_value && i + 1 == args.size()) return usage(a + " needs a value");
    if (a == "--center") {
      r.center = args[++i];
    } else if (a == "--secret-file") {
      secret_file = args[++i];
    } else if (a == "--timeout") {
      try {
        timeout_s = static_cast<uint32_t>(std::stoul(args[++i]));
      } catch (const std::exception&) {
        return usage("--timeout takes whole seconds");
      }
      if (timeout_s == 0 || timeout_s > 600) return usage("--timeout is 1–600 seconds");
    } else if (a == "--role") {
      target.set_role(args[++i]);
    } else if (a == "--node") {
      target.set_node(args[++i]);
    } else if (a == "--all") {
      target.set_all(true);
    } else if (a.rfind("--", 0) == 0) {
      return usage("unknown option " + a);
    } else {
      words.push_back(a);
    }
  }
  auto endpoint = net::parseEndpoint(r.center);
  if (!endpoint) return usage("--center is host:port, got \"" + r.center + "\"");
  if (secret_file) {
    auto secret = readSecret(*secret_file);
    if (!secret) return secret.error();
    r.secret = *secret;
  } else if (secret_env) {
    r.secret = secret_env;
  }
  if (r.secret.empty()) return usage("no cluster secret: set POLIS_CLUSTER__SECRET or pass --secret-file");
  if (words.empty()) return usage("no command");
  const std::string& command = words[0];
  r.fanout.set_timeout_ms(timeout_s * 1000);
  RunCommandReq& run = *r.fanout.mutable_run();
  if (command == "members" && words.size() == 1) {
    r.members = true;
  } else if (command == "commands" && words.size() == 1) {
    r.fanout.mutable_list();
  } else if (command == "run" && words.size() >= 2) {
    run.set_name(words[1]);
    for (size_t i = 2; i < words.size(); ++i) {
      size_t eq = words[i].find('=');
      if (eq == std::string::npos || eq == 0) return usage("arguments are name=value, got \"" + words[i] + "\"");
      (*run.mutable_args())[words[i].substr(0, eq)] = words[i].substr(eq + 1);
    }
  } else if (command == "reload" && words.size() <= 2) {
    run.set_name("reload");
    if (words.size() == 2) (*run.mutable_args())["what"] = words[1];
  } else if (command == "drain" && words.size() == 1) {
    if (target.which_case() != Target::kRole && target.which_case() != Target::kNode) {
      return usage("drain needs --node or --role (it would stop the whole cluster)");
    }
    run.set_name("drain");
  } else {
    return usage("unknown command or wrong arguments: " + command);
  }
  if (target.which_case() == Target::WHICH_NOT_SET) target.set_all(true);
  *r.fanout.mutable_target() = target;
  return r;
}

}  // namespace polis::ctl
