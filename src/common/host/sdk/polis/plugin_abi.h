/* The boundary between a Polis node and a native plugin: one C entry point,
 * a versioned table of host functions handed to it, and the plugin's own
 * table handed back (the model is SQLite's sqlite3ext.h and Redis's
 * redismodule.h). Only C types cross it: no STL type, no exception, no
 * allocation freed on the other side. Plugin authors do not use this header
 * directly; polis/plugin.h wraps it.
 *
 * Threads: every host function runs on the node's loop thread and calls
 * back on it, except stop_requested() and post(), which any thread may call.
 *
 * Lifetimes: a polis_call is valid until it is answered (reply/fail/done),
 * exactly once. A plugin instance lives from its init until the host calls
 * its destroy — after every call it was serving was answered, every
 * outgoing call it made was answered, its timers are cancelled and its
 * threads have returned.
 */
#ifndef POLIS_PLUGIN_ABI_H
#define POLIS_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change; the host refuses another version. */
#define POLIS_PLUGIN_ABI_VERSION 1u
#define POLIS_PLUGIN_ENTRY "polis_plugin_init"

typedef struct polis_host polis_host; /* one per plugin instance */
typedef struct polis_call polis_call; /* one call being served */

/* A sink the host hands over for bytes it copies (state, text). */
typedef void (*polis_write_fn)(void* sink, const uint8_t* data, size_t size);

typedef void (*polis_handler_fn)(void* user, polis_call* call, const uint8_t* body, size_t size);
/* code 0: `body` is the reply; otherwise a polis::Errc and `body` the message. */
typedef void (*polis_reply_fn)(void* user, int32_t code, const uint8_t* body, size_t size);
typedef void (*polis_timer_fn)(void* user);
/* An operator command: the arguments as checked text pairs; answer with command_done. */
typedef void (*polis_command_fn)(void* user, uint64_t run_id, const char* const* names, const char* const* values,
                                 size_t count);
typedef void (*polis_task_fn)(void* user);
/* The node drains: call drain_done(host, drain_id) once the work is handed off. */
typedef void (*polis_drain_fn)(void* user, uint64_t drain_id);

enum polis_log_level { POLIS_LOG_DEBUG = 0, POLIS_LOG_INFO = 1, POLIS_LOG_WARN = 2, POLIS_LOG_ERROR = 3 };
enum polis_arg_type { POLIS_ARG_STRING = 0, POLIS_ARG_INT = 1, POLIS_ARG_NUMBER = 2, POLIS_ARG_BOOL = 3 };

typedef struct polis_command_arg {
  const char* name;
  int type; /* polis_arg_type */
  int required;
  const char* help;
} polis_command_arg;

typedef struct polis_host_api {
  uint32_t abi_version; /* POLIS_PLUGIN_ABI_VERSION of the host */
  uint32_t struct_size; /* sizeof(polis_host_api) of the host */

  /* Serving. Handlers are registered during init only; a msg_id another
   * plugin, a script or the binary serves fails the load. Returns 0, or
   * nonzero with the reason in `error`. */
  int (*add_handler)(polis_host* host, uint16_t msg_id, const char* method_name, int oneway, polis_handler_fn fn,
                     void* user, char* error, size_t error_size);
  void (*reply)(polis_call* call, const uint8_t* body, size_t size);
  void (*fail)(polis_call* call, int32_t code, const char* message);
  uint64_t (*route_key)(const polis_call* call);
  void (*peer)(const polis_call* call, polis_write_fn write, void* sink);

  /* Calling other nodes: a ready node of `role`. `done` runs once, on the loop. */
  void (*call_role)(polis_host* host, const char* role, uint16_t msg_id, const char* method_name, const uint8_t* body,
                    size_t size, uint32_t timeout_ms, uint64_t route_key, polis_reply_fn done, void* user);
  /* A one-way message; 0 when sent. */
  int (*notify_role)(polis_host* host, const char* role, uint16_t msg_id, const char* method_name,
                     const uint8_t* body, size_t size, uint64_t route_key, char* error, size_t error_size);

  /* Timers (cancelled by the host when the instance goes). Returns the id. */
  uint64_t (*add_timer)(polis_host* host, uint32_t delay_ms, int repeat, polis_timer_fn fn, void* user);
  void (*cancel_timer)(polis_host* host, uint64_t timer_id);

  /* Operator commands (run by polis-ctl). */
  int (*add_command)(polis_host* host, const char* name, const char* help, const polis_command_arg* args,
                     size_t arg_count, polis_command_fn fn, void* user, char* error, size_t error_size);
  void (*command_done)(polis_host* host, uint64_t run_id, int32_t code, const char* output);

  void (*on_drain)(polis_host* host, polis_drain_fn fn, void* user);
  void (*drain_done)(polis_host* host, uint64_t drain_id);

  /* Threads the host starts, and joins before the instance goes: `fn` must
   * return soon after stop_requested() turns true. Returns 0 when started. */
  int (*start_thread)(polis_host* host, polis_task_fn fn, void* user);
  int (*stop_requested)(polis_host* host);
  /* Runs `fn` on the loop thread; callable from any thread. */
  void (*post)(polis_host* host, polis_task_fn fn, void* user);

  void (*log)(polis_host* host, int level, const char* message);
  /* The plugin's own config value (plugins.load[].config.<key>) as text; 0 when absent. */
  int (*config)(polis_host* host, const char* key, polis_write_fn write, void* sink);
} polis_host_api;

typedef struct polis_plugin_api {
  uint32_t abi_version; /* POLIS_PLUGIN_ABI_VERSION the plugin was built with */
  uint32_t struct_size;
  /* Hands the instance's state to its successor at a reload (may write nothing). */
  void (*save_state)(void* self, polis_write_fn write, void* sink);
  /* The host is done with the instance: free everything it holds. */
  void (*destroy)(void* self);
} polis_plugin_api;

/* The one entry point, named POLIS_PLUGIN_ENTRY. `state` is what the
 * predecessor saved (empty on a first load). Returns 0 and sets *self and
 * *api, or nonzero with the reason in `error` (the host then discards
 * whatever the instance registered). */
typedef int (*polis_plugin_init_fn)(const polis_host_api* host_api, polis_host* host, const uint8_t* state,
                                    size_t state_size, void** self, const polis_plugin_api** api, char* error,
                                    size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* POLIS_PLUGIN_ABI_H */
