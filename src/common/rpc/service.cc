#include "rpc/service.h"

#include "base/guard.h"
#include "base/log_throttle.h"

namespace polis::rpc::detail {

Error internalError(const MethodInfo& info, std::exception_ptr e) {
  if (auto note = log::throttle("handler threw " + std::string(info.name))) {
    log::error("handler {} threw: {}{}", info.name, describeException(e), *note);
  }
  // The caller learns that the handler broke, not the details of why.
  return Error{Errc::kInternal, std::string(info.name) + " failed on the serving node"};
}

}  // namespace polis::rpc::detail
