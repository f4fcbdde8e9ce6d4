// Result<T>: a value or a typed Error. Used everywhere a call can fail for a
// reason the caller should handle (RPC, config, decoding); no exceptions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace polis {

enum class Errc : int {
  kOk = 0,
  kNoSuchMethod = 1,    // the peer has no handler for the message id
  kTimeout = 2,         // no reply within the call's deadline
  kRemote = 3,          // the handler ran and returned an error
  kConnectionLost = 4,  // the connection closed before the reply arrived
  kBadMessage = 5,      // a body that did not parse, or a malformed frame
  kUnauthenticated = 6, // the peer did not prove the cluster secret
  kUnavailable = 7,     // no connection, or the node is draining
  kInvalidArgument = 8,
  kInternal = 9,        // a handler broke (threw); logged on the serving side
  kAlreadyExists = 10,  // e.g. a node name another live node holds, a login name taken
  kNotFound = 11,       // e.g. no account or player with that id
  kVersionConflict = 12,  // a save whose expected version is not the stored one: reload and retry
};
inline constexpr Errc kLastErrc = Errc::kVersionConflict;  // codes above it from the wire read as kRemote

std::string_view errcName(Errc code);

struct Error;
namespace detail {
// Called on value() of an error or error() of a value: a broken invariant,
// so it aborts with the error it found, in every build type.
[[noreturn]] void badResultAccess(const char* what, const Error* error);
}  // namespace detail

struct Error {
  Errc code = Errc::kInternal;
  std::string message;

  Error() = default;
  Error(Errc c, std::string m = {}) : code(c), message(std::move(m)) {}
  std::string describe() const;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}
  Result(Errc code, std::string message = {}) : Result(Error{code, std::move(message)}) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (ok()) detail::badResultAccess("error() of a Result that holds a value", nullptr);
    return std::get<1>(v_);
  }

 private:
  void check() const {
    if (!ok()) detail::badResultAccess("value() of a Result that holds an error", &std::get<1>(v_));
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}
  Result(Errc code, std::string message = {}) : Result(Error{code, std::move(message)}) {}

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    if (ok_) detail::badResultAccess("error() of a Result<void> that is ok", nullptr);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace polis
