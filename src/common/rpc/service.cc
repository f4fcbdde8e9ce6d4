#include "rpc/service.h"

#include "base/guard.h"

namespace polis::rpc::detail {

Error internalError(const MethodInfo& info, std::exception_ptr e) {
  log::error("handler {} threw: {}", info.name, describeException(e));
  // The caller learns that the handler broke, not the details of why.
  return Error{Errc::kInternal, std::string(info.name) + " failed on the serving node"};
}

}  // namespace polis::rpc::detail
