#include "base/log.h"

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "base/utf8.h"

namespace polis::log {
namespace {

std::optional<spdlog::level::level_enum> parseLevel(std::string_view name) {
  using L = spdlog::level::level_enum;
  if (name == "trace") return L::trace;
  if (name == "debug") return L::debug;
  if (name == "info") return L::info;
  if (name == "warn" || name == "warning") return L::warn;
  if (name == "error" || name == "err") return L::err;
  if (name == "critical") return L::critical;
  if (name == "off") return L::off;
  return std::nullopt;
}

// The names log collectors see in the "level" field; they match the names
// init() accepts, so a config value can be grepped for directly.
std::string_view levelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

// Appends `text` as the inside of a JSON string. Messages may carry bytes from
// untrusted peers, so invalid UTF-8 becomes U+FFFD rather than breaking the line.
void appendJsonEscaped(std::string_view text, spdlog::memory_buf_t& out) {
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t len = utf8SequenceLength(text, i);
      if (len == 0) {
        fmt::format_to(std::back_inserter(out), "\\ufffd");
        ++i;
      } else {
        out.append(text.data() + i, text.data() + i + len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"': fmt::format_to(std::back_inserter(out), "\\\""); break;
      case '\\': fmt::format_to(std::back_inserter(out), "\\\\"); break;
      case '\n': fmt::format_to(std::back_inserter(out), "\\n"); break;
      case '\r': fmt::format_to(std::back_inserter(out), "\\r"); break;
      case '\t': fmt::format_to(std::back_inserter(out), "\\t"); break;
      default:
        if (c < 0x20 || c == 0x7F) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

void appendUtcTimestamp(spdlog::log_clock::time_point time, spdlog::memory_buf_t& out) {
  using namespace std::chrono;
  auto since_epoch = time.time_since_epoch();
  auto secs = duration_cast<seconds>(since_epoch);
  auto millis = duration_cast<milliseconds>(since_epoch - secs).count();
  std::time_t t = secs.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, millis);
}

// One JSON object per line: {"ts":…,"level":…,"node":…,"msg":…}.
// Sinks call format() under their own lock, so no state changes after construction.
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string node) : node_(std::move(node)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto add = [&](std::string_view s) { dest.append(s.data(), s.data() + s.size()); };
    add(R"({"ts":")");
    appendUtcTimestamp(msg.time, dest);
    add(R"(","level":")");
    add(levelName(msg.level));
    add(R"(","node":")");
    appendJsonEscaped(node_, dest);
    add(R"(","msg":")");
    appendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    add("\"}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(node_);
  }

 private:
  std::string node_;
};

// spdlog patterns treat '%' as a flag; a node name is literal text.
std::string escapePattern(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%') out += '%';
    out += c;
  }
  return out;
}

spdlog::sink_ptr makeSink(std::string_view node, Format format) {
  bool human = format == Format::kHuman || (format == Format::kAuto && isatty(STDERR_FILENO));
  if (human) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ " + escapePattern(node) + " %v");
    return sink;
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<JsonFormatter>(std::string(node)));
  return sink;
}

}  // namespace

bool init(std::string_view node, std::string_view level, Format format) {
  auto parsed = parseLevel(level);
  if (!parsed) return false;
  auto logger = std::make_shared<spdlog::logger>(std::string(node), makeSink(node, format));
  logger->set_level(*parsed);
  // Warnings and errors reach stderr at once, even if the process dies next.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

bool parseFormat(std::string_view text, Format& out) {
  if (text == "auto") out = Format::kAuto;
  else if (text == "human") out = Format::kHuman;
  else if (text == "json") out = Format::kJson;
  else return false;
  return true;
}

}  // namespace polis::log
