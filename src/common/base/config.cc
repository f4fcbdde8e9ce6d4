#include "base/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace polis {
namespace {

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view value) {
  constexpr size_t kMax = 80;  // keep one problem on one readable line
  std::string v(value.substr(0, kMax));
  if (value.size() > kMax) v += "...";
  return fmt::format("\"{}\"", v);
}

std::optional<int64_t> parseInteger(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parseNumber(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  text = trim(text);
  size_t unit_at = text.find_first_not_of("+-0123456789.");
  std::string_view unit = unit_at == std::string_view::npos ? "" : text.substr(unit_at);
  auto amount = parseNumber(text.substr(0, unit_at));
  double factor = unit == "" || unit == "ms" ? 1 : unit == "s" ? 1e3 : unit == "m" ? 6e4
                  : unit == "h" ? 3.6e6 : 0;
  if (!amount || factor == 0) return std::nullopt;
  double ms = std::round(*amount * factor);
  if (std::fabs(ms) > 9e15) return std::nullopt;  // far beyond any sane setting
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

std::optional<bool> parseBool(std::string_view text) {
  std::string lower(trim(text));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
  return std::nullopt;
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

// "an integer 0..65535", "a number >= 0.5", "a duration": the expected form.
template <class T, class Show>
std::string withRange(std::string what, T value_min, T value_max, T min, T max, Show show) {
  if (min != value_min && max != value_max) return fmt::format("{} {}..{}", what, show(min), show(max));
  if (min != value_min) return fmt::format("{} >= {}", what, show(min));
  if (max != value_max) return fmt::format("{} <= {}", what, show(max));
  return what;
}

std::string showMillis(std::chrono::milliseconds ms) { return fmt::format("{}ms", ms.count()); }

}  // namespace

std::optional<std::string> Environment::get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

Environment processEnv() {
  std::map<std::string, std::string> vars;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    vars.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return Environment(std::move(vars));
}

std::string ConfigReader::envName(std::string_view key) {
  std::string name = "POLIS_";
  for (char c : key) {
    if (c == '.') name += "__";
    else if (c == '-') name += '_';
    else name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

Result<ConfigReader> ConfigReader::fromFile(const std::string& path, Environment env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("cannot read config file {}: {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return fromString(text.str(), std::move(env), path);
}

Result<ConfigReader> ConfigReader::fromString(std::string_view yaml, Environment env, std::string source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Error(Errc::kInvalidArgument, fmt::format("{}:{}:{}: invalid YAML: {}", source,
                                                     e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  ConfigReader reader(std::move(env), std::move(source));
  if (root.IsNull()) return reader;  // an empty file: every key takes its default
  if (!root.IsMap()) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("{}: expected a mapping of keys at the top level", reader.source_));
  }
  if (auto problem = reader.flatten(root, "")) return Error(Errc::kInvalidArgument, *problem);
  return reader;
}

std::optional<std::string> ConfigReader::flatten(const YAML::Node& node, const std::string& prefix) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    int line = it->first.Mark().line + 1;
    if (!it->first.IsScalar() || it->first.Scalar().find('.') != std::string::npos) {
      return fmt::format("{}: key {} must be a plain name without dots; nest maps instead",
                         fileOrigin(line), quoted(it->first.IsScalar() ? it->first.Scalar() : "?"));
    }
    std::string key = prefix.empty() ? it->first.Scalar() : prefix + "." + it->first.Scalar();
    if (it->second.IsMap()) {
      if (auto problem = flatten(it->second, key)) return problem;
      continue;
    }
    if (!entries_.emplace(key, Entry{it->second, line, false}).second) {
      return fmt::format("{}: duplicate key {}", fileOrigin(line), key);
    }
    file_order_.push_back(key);
  }
  return std::nullopt;
}

std::string ConfigReader::fileOrigin(int line) const { return fmt::format("{}:{}", source_, line); }

std::optional<ConfigReader::Raw> ConfigReader::lookup(std::string_view key) {
  // Whatever the source, the file's keys at or below `key` count as read.
  std::string below = std::string(key) + ".";
  std::optional<int> section_line;
  for (auto it = entries_.lower_bound(below); it != entries_.end() && it->first.starts_with(below); ++it) {
    it->second.read = true;
    if (!section_line) section_line = it->second.line;
  }
  auto entry = entries_.find(key);
  if (entry != entries_.end()) entry->second.read = true;

  std::string var = envName(key);
  env_read_.insert(var);
  if (auto value = env_.get(var)) {
    return Raw{false, true, *value, splitList(*value), "env " + var, ""};
  }
  if (section_line) return Raw{false, false, "", {}, fileOrigin(*section_line), "a mapping"};
  if (entry == entries_.end() || entry->second.node.IsNull()) return std::nullopt;

  const YAML::Node& node = entry->second.node;
  Raw raw{node.IsSequence(), false, "", {}, fileOrigin(entry->second.line), ""};
  if (node.IsScalar()) raw.scalar = node.Scalar();
  for (const auto& item : node) {
    if (!item.IsScalar()) raw.problem = "a list with non-scalar items";
    else raw.list.push_back(item.Scalar());
  }
  return raw;
}

std::optional<ConfigReader::Raw> ConfigReader::scalar(std::string_view key, const std::string& expected) {
  auto raw = lookup(key);
  if (!raw) return std::nullopt;
  if (raw->is_list || !raw->problem.empty()) {
    report(key, raw->origin, expected, raw->problem.empty() ? "a list" : raw->problem);
    return std::nullopt;
  }
  return raw;
}

void ConfigReader::report(std::string_view key, const std::string& origin, const std::string& expected,
                          const std::string& got) {
  if (!keys_with_errors_.emplace(key).second) return;
  problems_.push_back(fmt::format("{} (from {}): expected {}, got {}", key, origin, expected, got));
}

void ConfigReader::reject(std::string_view key, const std::string& expected, const std::string& got) {
  auto raw = lookup(key);
  report(key, raw ? raw->origin : std::string("defaults"), expected, got);
}

std::string ConfigReader::str(std::string_view key, std::string_view def) {
  auto raw = scalar(key, "a string");
  return raw ? raw->scalar : std::string(def);
}

std::string ConfigReader::requiredStr(std::string_view key) {
  auto raw = scalar(key, "a non-empty string");
  if (raw && !raw->scalar.empty()) return raw->scalar;
  if (raw) {
    report(key, raw->origin, "a non-empty string", "\"\"");
  } else if (keys_with_errors_.emplace(key).second) {
    problems_.push_back(fmt::format("{}: required but not set (set it in {} or env {})", key,
                                    source_, envName(key)));
  }
  return "";
}

int64_t ConfigReader::integer(std::string_view key, int64_t def, int64_t min, int64_t max) {
  using L = std::numeric_limits<int64_t>;
  std::string expected = withRange("an integer", L::min(), L::max(), min, max, [](int64_t v) { return v; });
  auto raw = scalar(key, expected);
  if (!raw) return def;
  auto value = parseInteger(raw->scalar);
  if (value && *value >= min && *value <= max) return *value;
  report(key, raw->origin, expected, quoted(raw->scalar));
  return def;
}

bool ConfigReader::boolean(std::string_view key, bool def) {
  auto raw = scalar(key, "true or false");
  if (!raw) return def;
  if (auto value = parseBool(raw->scalar)) return *value;
  report(key, raw->origin, "true or false", quoted(raw->scalar));
  return def;
}

double ConfigReader::number(std::string_view key, double def, double min, double max) {
  using L = std::numeric_limits<double>;
  std::string expected = withRange("a number", L::lowest(), L::max(), min, max, [](double v) { return v; });
  auto raw = scalar(key, expected);
  if (!raw) return def;
  auto value = parseNumber(raw->scalar);
  if (value && *value >= min && *value <= max) return *value;
  report(key, raw->origin, expected, quoted(raw->scalar));
  return def;
}

std::chrono::milliseconds ConfigReader::millis(std::string_view key, std::chrono::milliseconds def,
                                               std::chrono::milliseconds min, std::chrono::milliseconds max) {
  using ms = std::chrono::milliseconds;
  std::string expected = withRange("a duration (e.g. 250ms, 5s, 2m)", ms::min(), ms::max(), min, max, showMillis);
  auto raw = scalar(key, expected);
  if (!raw) return def;
  auto value = parseDuration(raw->scalar);
  if (value && *value >= min && *value <= max) return *value;
  report(key, raw->origin, expected, quoted(raw->scalar));
  return def;
}

std::vector<std::string> ConfigReader::strList(std::string_view key, std::vector<std::string> def) {
  auto raw = lookup(key);
  if (!raw) return def;
  if (raw->problem.empty() && (raw->is_list || raw->from_env)) return raw->list;
  std::string got = raw->problem.empty() ? quoted(raw->scalar) : raw->problem;
  report(key, raw->origin, "a list of strings", got);
  return def;
}

uint16_t ConfigReader::port(std::string_view key, uint16_t def) {
  return static_cast<uint16_t>(integer(key, def, 0, 65535));
}

std::string ConfigReader::oneOf(std::string_view key, std::string_view def,
                                std::initializer_list<std::string_view> allowed) {
  std::string expected = "one of " + fmt::format("{}", fmt::join(allowed, ", "));
  auto raw = scalar(key, expected);
  if (!raw) return std::string(def);
  if (std::find(allowed.begin(), allowed.end(), raw->scalar) != allowed.end()) return raw->scalar;
  report(key, raw->origin, expected, quoted(raw->scalar));
  return std::string(def);
}

bool ConfigReader::has(std::string_view key) const {
  if (env_.get(envName(key))) return true;
  auto entry = entries_.find(key);
  if (entry != entries_.end()) return !entry->second.node.IsNull();
  auto below = entries_.lower_bound(std::string(key) + ".");
  return below != entries_.end() && below->first.starts_with(std::string(key) + ".");
}

std::map<std::string, std::string> ConfigReader::section(std::string_view prefix) {
  std::string below = std::string(prefix) + ".";
  std::vector<std::string> keys;
  for (auto it = entries_.lower_bound(below); it != entries_.end() && it->first.starts_with(below); ++it) {
    keys.push_back(it->first);
  }
  std::map<std::string, std::string> out;
  for (const auto& key : keys) out[key.substr(below.size())] = str(key, "");
  return out;
}

void ConfigReader::allowUnknownUnder(std::string prefix) { allowed_prefixes_.push_back(std::move(prefix)); }

bool ConfigReader::isAllowedUnknown(const std::string& key) const {
  return std::any_of(allowed_prefixes_.begin(), allowed_prefixes_.end(), [&](const std::string& p) {
    return key == p || (key.starts_with(p) && key.size() > p.size() && key[p.size()] == '.');
  });
}

// A POLIS_ variable is meant as an override when it has the double
// underscore of a section, or starts with a section a getter read followed by
// a single underscore (the likely misspelling). Variables for free-form
// sections (allowUnknownUnder) are accepted.
void ConfigReader::checkEnvironment(std::vector<std::string>& lines) const {
  std::set<std::string> sections;
  for (const auto& var : env_read_) sections.insert(var.substr(0, var.find("__", 6)));
  for (const auto& entry : env_.all()) {
    const std::string& name = entry.first;
    if (!name.starts_with("POLIS_") || env_read_.count(name)) continue;
    bool allowed = std::any_of(allowed_prefixes_.begin(), allowed_prefixes_.end(), [&](const std::string& p) {
      return name.starts_with(envName(p) + "__");
    });
    if (allowed) continue;
    if (name.find("__") != std::string::npos) {
      lines.push_back(fmt::format("unknown environment variable {} — it overrides no config key; check the spelling",
                                  name));
      continue;
    }
    for (const auto& section : sections) {
      if (name.starts_with(section + "_")) {
        lines.push_back(fmt::format("environment variable {} is not a config override: a section and its key are "
                                    "separated by a double underscore ({}__{})",
                                    name, section, name.substr(section.size() + 1)));
        break;
      }
    }
  }
}

Result<void> ConfigReader::finish() const {
  std::vector<std::string> lines = problems_;
  for (const auto& key : file_order_) {
    const Entry& entry = entries_.at(key);
    if (entry.read || isAllowedUnknown(key)) continue;
    lines.push_back(fmt::format("unknown key {} (in {}) — check the spelling", key, fileOrigin(entry.line)));
  }
  checkEnvironment(lines);
  if (lines.empty()) return {};
  return Error(Errc::kInvalidArgument, fmt::format("{}", fmt::join(lines, "\n")));
}

}  // namespace polis
