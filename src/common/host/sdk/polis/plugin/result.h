// The plugin SDK's errors and results: the same codes and shape as the
// runtime's (src/common/base/result.h), so a plugin's typed error reaches the
// caller exactly as a built-in service's does. Header-only: a plugin links
// nothing of the host.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace polis {

// Values are the wire's; keep them equal to base/result.h's.
enum class Errc : int32_t {
  kOk = 0,
  kNoSuchMethod = 1,
  kTimeout = 2,
  kRemote = 3,
  kConnectionLost = 4,
  kBadMessage = 5,
  kUnauthenticated = 6,
  kUnavailable = 7,
  kInvalidArgument = 8,
  kInternal = 9,
  kAlreadyExists = 10,
  kNotFound = 11,
  kVersionConflict = 12,
};

struct Error {
  Errc code = Errc::kInternal;
  std::string message;
  Error() = default;
  Error(Errc c, std::string m = {}) : code(c), message(std::move(m)) {}  // NOLINT: implicit like the runtime's
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}    // NOLINT
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  explicit operator bool() const { return v_.index() == 0; }
  bool ok() const { return v_.index() == 0; }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& value() {
    if (!ok()) std::abort();  // a broken invariant in the plugin, as in the runtime
    return std::get<0>(v_);
  }
  const T& value() const {
    if (!ok()) std::abort();
    return std::get<0>(v_);
  }
  const Error& error() const {
    if (ok()) std::abort();
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT
  explicit operator bool() const { return !error_; }
  bool ok() const { return !error_; }
  const Error& error() const {
    if (!error_) std::abort();
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace polis
