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
#include <vector>

#include "base/completion.h"
#include "base/event_loop.h"
#include "base/result.h"

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
};

}  // namespace polis::db
