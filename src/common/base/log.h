// Logging through spdlog: human-readable lines on a terminal, JSON lines
// otherwise (for log collectors). Call log::init() once at start; before that
// the spdlog defaults apply.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace polis::log {

enum class Format { kAuto, kHuman, kJson };

// `node` names the process in every line (e.g. "lobby-1"). Format kAuto picks
// human when stderr is a terminal. Returns false for an unknown level name.
bool init(std::string_view node, std::string_view level, Format format);
// Parses "auto" / "human" / "json".
bool parseFormat(std::string_view text, Format& out);

using spdlog::critical;
using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::trace;
using spdlog::warn;

}  // namespace polis::log
