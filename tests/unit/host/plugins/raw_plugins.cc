// Plugins written against the bare C ABI, to test the host's own checks:
// WRONG_ABI answers with another ABI version; MISSING_SYMBOL needs a
// function nobody defines (dlopen with RTLD_NOW refuses it); NO_ENTRY has
// no entry point at all.
#include <polis/plugin_abi.h>

#if defined(MISSING_SYMBOL)
extern "C" int polis_function_that_does_not_exist(void);
extern "C" {
__attribute__((visibility("default"))) int (*keep_the_reference)(void) = &polis_function_that_does_not_exist;
}
#endif

#if !defined(NO_ENTRY)
namespace {
void destroy(void*) {}
const polis_plugin_api kWrong = {999u, sizeof(polis_plugin_api), nullptr, destroy};
const polis_plugin_api kRight = {POLIS_PLUGIN_ABI_VERSION, sizeof(polis_plugin_api), nullptr, destroy};
}  // namespace

extern "C" __attribute__((visibility("default"))) int polis_plugin_init(const polis_host_api*, polis_host*,
                                                                        const uint8_t*, size_t, void** self,
                                                                        const polis_plugin_api** out, char*, size_t) {
  *self = nullptr;
#if defined(WRONG_ABI)
  *out = &kWrong;
#else
  *out = &kRight;
#endif
  return 0;
}
#else
extern "C" {
__attribute__((visibility("default"))) int polis_nothing_here = 1;
}
#endif
