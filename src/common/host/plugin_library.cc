#include "host/plugin_library.h"

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <system_error>

namespace polis::host {
namespace {

// A private folder for this process's copies, made once.
Result<std::filesystem::path> copiesDir() {
  static std::filesystem::path dir;
  if (!dir.empty()) return dir;
  std::string pattern = (std::filesystem::temp_directory_path() / "polis-plugins-XXXXXX").string();
  if (!mkdtemp(pattern.data())) return Error{Errc::kInternal, "cannot make a folder for plugin copies in /tmp"};
  dir = pattern;
  return dir;
}

}  // namespace

Result<std::unique_ptr<PluginLibrary>> PluginLibrary::open(const std::string& path) {
  static std::atomic<uint64_t> loads{0};
  auto dir = copiesDir();
  if (!dir) return dir.error();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Error{Errc::kNotFound, "no plugin file " + path};
  auto copy = *dir / (std::to_string(getpid()) + "-" + std::to_string(++loads) + "-" +
                      std::filesystem::path(path).filename().string());
  std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Error{Errc::kInternal, "cannot copy " + path + ": " + ec.message()};
  void* handle = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::filesystem::remove(copy, ec);
  if (!handle) return Error{Errc::kInvalidArgument, "cannot load " + path + ": " + dlerror()};
  auto entry = reinterpret_cast<polis_plugin_init_fn>(dlsym(handle, POLIS_PLUGIN_ENTRY));
  if (!entry) {
    dlclose(handle);
    return Error{Errc::kInvalidArgument, path + " is not a Polis plugin: it has no " POLIS_PLUGIN_ENTRY
                                                " (missing POLIS_PLUGIN(...)?)"};
  }
  return std::unique_ptr<PluginLibrary>(new PluginLibrary(handle, entry));
}

PluginLibrary::~PluginLibrary() {
  if (handle_) dlclose(handle_);
}

}  // namespace polis::host
