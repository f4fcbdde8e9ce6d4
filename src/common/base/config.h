// ConfigReader: one node's YAML config file, with every key overridable by an
// environment variable, read through typed getters that validate as they go.
//
// Keys are dotted paths into nested maps: "node.ops_port". The variable that
// overrides a key is POLIS_ + the path upper-cased with "." -> "__" and
// "-" -> "_": node.ops_port -> POLIS_NODE__OPS_PORT. The environment wins over
// the file; list values from the environment are comma-separated.
//
// Getters never fail: a bad or missing value is recorded and the default is
// returned, so a node reads all its settings and then calls finish(), which
// reports every problem at once (one per line, each naming the key and where
// the value came from), plus the keys in the file that nobody read and the
// POLIS_ variables that override no key: a name with a double underscore
// that maps to no key read (POLIS_NODE__OPS_PROT), or one that starts like a
// section but has a single underscore (POLIS_NODE_OPS_PORT). Other POLIS_
// names (POLIS_BUILD_DIR, the build scripts' own) are not config and are left alone.
//
// Threads: not thread-safe; read the config on one thread at start-up.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace polis {

// The environment a config is read with: a snapshot of variables, injectable
// so tests need not touch the process environment.
class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  std::optional<std::string> get(const std::string& name) const;
  const std::map<std::string, std::string>& all() const { return vars_; }

 private:
  std::map<std::string, std::string> vars_;
};
// The process's environment, as it is now.
Environment processEnv();

class ConfigReader {
 public:
  static Result<ConfigReader> fromFile(const std::string& path, Environment env = processEnv());
  // `source` names the text in messages (a file path, or "<string>").
  static Result<ConfigReader> fromString(std::string_view yaml, Environment env,
                                         std::string source = "<string>");

  // The environment variable that overrides `key`.
  static std::string envName(std::string_view key);

  std::string str(std::string_view key, std::string_view def);
  std::string requiredStr(std::string_view key);
  int64_t integer(std::string_view key, int64_t def,
                  int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max());
  bool boolean(std::string_view key, bool def);
  double number(std::string_view key, double def,
                double min = std::numeric_limits<double>::lowest(),
                double max = std::numeric_limits<double>::max());
  // Accepts a bare integer (milliseconds) or a number with a unit: ms, s, m, h.
  std::chrono::milliseconds millis(
      std::string_view key, std::chrono::milliseconds def,
      std::chrono::milliseconds min = std::chrono::milliseconds::zero(),
      std::chrono::milliseconds max = std::chrono::milliseconds::max());
  std::vector<std::string> strList(std::string_view key, std::vector<std::string> def);
  uint16_t port(std::string_view key, uint16_t def);
  std::string oneOf(std::string_view key, std::string_view def,
                    std::initializer_list<std::string_view> allowed);

  // Records a value that passed its getter but breaks a rule only the caller
  // knows (a too-short secret, a malformed host:port), naming where it came from.
  void reject(std::string_view key, const std::string& expected, const std::string& got);

  // True when the key is set in the file or the environment.
  bool has(std::string_view key) const;
  // The file's keys under `prefix` ("plugins.chat.config") and their scalar
  // values as text, each overridable by its own variable like any key —
  // for free-form sections handed to game code. Keys are relative to the
  // prefix ("motd", "limits.rate").
  std::map<std::string, std::string> section(std::string_view prefix);
  // Keys at or below `prefix` are not reported as unknown (free-form sections).
  void allowUnknownUnder(std::string prefix);

  // All problems so far, or ok. kInvalidArgument, one problem per line.
  Result<void> finish() const;

 private:
  struct Entry {
    YAML::Node node;
    int line = 0;  // 1-based
    bool read = false;
  };
  // A value found for a key: a scalar or a list, and where it came from.
  struct Raw {
    bool is_list = false;
    bool from_env = false;  // env values are scalars; list getters split them on commas
    std::string scalar;
    std::vector<std::string> list;
    std::string origin;   // "env POLIS_X" or "config.yaml:12"
    std::string problem;  // set when the file holds something unusable here
  };

  ConfigReader(Environment env, std::string source) : env_(std::move(env)), source_(std::move(source)) {}
  // Records the leaf keys under `node`; returns a message for keys it cannot map.
  std::optional<std::string> flatten(const YAML::Node& node, const std::string& prefix);
  std::string fileOrigin(int line) const;
  std::optional<Raw> lookup(std::string_view key);
  // The scalar value for `key`, or nullopt when unset or not a scalar (reported).
  std::optional<Raw> scalar(std::string_view key, const std::string& expected);
  void report(std::string_view key, const std::string& origin, const std::string& expected,
              const std::string& got);
  bool isAllowedUnknown(const std::string& key) const;
  void checkEnvironment(std::vector<std::string>& lines) const;

  Environment env_;
  std::set<std::string, std::less<>> env_read_;  // variable names a getter looked at
  std::string source_;
  std::map<std::string, Entry, std::less<>> entries_;  // leaf keys of the file
  std::vector<std::string> file_order_;
  std::vector<std::string> allowed_prefixes_;
  std::set<std::string, std::less<>> keys_with_errors_;  // one message per key
  std::vector<std::string> problems_;
};

}  // namespace polis
