// Login names as the data service stores them: 1–64 bytes of valid UTF-8
// without control characters, unique ignoring the case of ASCII letters.
// Anything else (quotes, SQL fragments, emoji) is a name like any other and
// is stored verbatim; statements are prepared, so no text is ever SQL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace polis::db {

inline constexpr size_t kMaxLoginName = 64;

// Why `name` is not a valid login name, or nullopt when it is.
std::optional<std::string> loginNameProblem(std::string_view name);
// The key that makes names unique: ASCII letters lower-cased, other bytes kept.
std::string foldLoginName(std::string_view name);

}  // namespace polis::db
