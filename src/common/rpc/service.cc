#include "rpc/service.h"

namespace polis::rpc::detail {

Error internalError(const MethodInfo& info, std::exception_ptr e) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    what = ex.what();
  } catch (...) {
  }
  log::error("handler {} threw: {}", info.name, what);
  // The caller learns that the handler broke, not the details of why.
  return Error{Errc::kInternal, std::string(info.name) + " failed on the serving node"};
}

}  // namespace polis::rpc::detail
