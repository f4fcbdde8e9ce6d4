#include "db/login_name.h"

#include "base/utf8.h"

namespace polis::db {

std::optional<std::string> loginNameProblem(std::string_view name) {
  if (name.empty()) return "a login name must not be empty";
  if (name.size() > kMaxLoginName) {
    return "a login name has at most " + std::to_string(kMaxLoginName) + " bytes (got " + std::to_string(name.size()) +
           ")";
  }
  if (!validUtf8(name)) return "a login name must be valid UTF-8";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return "a login name must not contain control characters";
  }
  return std::nullopt;
}

std::string foldLoginName(std::string_view name) {
  std::string folded(name);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return folded;
}

}  // namespace polis::db
