// RedisClient: one connection to one Redis, through hiredis's async API on
// the event loop (libevent adapter), kept up by reconnecting with capped
// backoff (100 ms doubling to reconnect_max) for as long as the client lives.
//
//   Result<RedisReply> r = co_await redis.command({"SET", key, value});
//
// A command sent while disconnected fails at once with kUnavailable; one in
// flight when the connection drops fails with kUnavailable as well (it may
// or may not have been applied: callers that need to know write idempotently).
// A Redis error reply (WRONGTYPE …) is kRemote with Redis's message.
// Threads: loop-thread only. Destroying the client drops what is in flight
// (the awaiting coroutines hold their results weakly).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/completion.h"
#include "base/event_loop.h"
#include "base/result.h"
#include "base/task.h"

struct redisAsyncContext;

namespace polis::db {

// A Redis reply, copied out of hiredis's reply object.
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString (binary-safe) and kStatus
  std::vector<RedisReply> elements;
  bool isNil() const { return type == Type::kNil; }
};

struct RedisEndpoint {
  std::string host = "127.0.0.1";  // numeric
  uint16_t port = 6379;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds reconnect_max{2000};
  std::string str() const { return host + ":" + std::to_string(port); }
};

class RedisClient {
 public:
  RedisClient(EventLoop& loop, RedisEndpoint endpoint);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects now, and again whenever the connection drops.
  void start();
  Completion<Result<RedisReply>> command(const std::vector<std::string>& args);
  // Runs a Lua script: `rest` is numkeys, the keys, the arguments. Sent as
  // EVALSHA (the script's text crosses once per connection, not per call),
  // falling back to EVAL when Redis does not know the script yet.
  Task<Result<RedisReply>> eval(const char* script, std::vector<std::string> rest);
  // The EVALSHA command for `script`, to pipeline many with command(); a
  // reply that isNoScript() must be sent again through eval().
  std::vector<std::string> evalShaArgs(const char* script, const std::vector<std::string>& rest);
  static bool isNoScript(const Error& e) { return e.message.find("NOSCRIPT") != std::string::npos; }
  // Runs `script` once per argument list, all pipelined; the replies in
  // order, or the first error.
  Task<Result<std::vector<RedisReply>>> evalMany(const char* script, std::vector<std::vector<std::string>> rests);

  bool connected() const { return connected_; }
  // Counts successful connects: a change means "reconnected since you last looked".
  uint64_t generation() const { return generation_; }
  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  struct InFlight;
  static void onConnect(const redisAsyncContext* ctx, int status);
  static void onDisconnect(const redisAsyncContext* ctx, int status);
  static void onReply(redisAsyncContext* ctx, void* reply, void* privdata);
  void connect();
  void lost(const std::string& why);
  void scheduleReconnect();

  EventLoop& loop_;
  RedisEndpoint endpoint_;
  redisAsyncContext* ctx_ = nullptr;  // hiredis frees it after a failed connect or a disconnect
  bool connected_ = false;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  TimerId retry_timer_ = 0;
  TimerId connect_timer_ = 0;
  std::chrono::milliseconds backoff_{100};
  std::string format_;  // the command being sent, reused
  std::unordered_map<const char*, std::string> script_sha_;  // by script text (constants: their address)
};

}  // namespace polis::db
