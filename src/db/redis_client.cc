#include "db/redis_client.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "base/log.h"
#include "base/log_throttle.h"

namespace polis::db {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};

RedisReply copyReply(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(copyReply(*r.element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

RedisClient* owner(const redisAsyncContext* ctx) { return static_cast<RedisClient*>(ctx->data); }

}  // namespace

// One command waiting for its reply; hiredis hands it back to onReply once.
struct RedisClient::InFlight {
  Completion<Result<RedisReply>>::Deliver deliver;
};

RedisClient::RedisClient(EventLoop& loop, RedisEndpoint endpoint) : loop_(loop), endpoint_(std::move(endpoint)) {}

RedisClient::~RedisClient() {
  stopping_ = true;
  if (retry_timer_) loop_.cancel(retry_timer_);
  if (connect_timer_) loop_.cancel(connect_timer_);
  if (ctx_) {
    // hiredis answers every pending command with a null reply and may call
    // onDisconnect from inside redisAsyncFree: both see no owner and only free.
    ctx_->data = nullptr;
    redisAsyncFree(ctx_);
  }
}

void RedisClient::start() { connect(); }

void RedisClient::connect() {
  retry_timer_ = 0;
  if (stopping_) return;
  ctx_ = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
  if (!ctx_ || ctx_->err) {
    lost(ctx_ ? ctx_->errstr : "out of memory");
    if (ctx_) redisAsyncFree(ctx_);
    ctx_ = nullptr;
    scheduleReconnect();
    return;
  }
  ctx_->data = this;
  redisLibeventAttach(ctx_, loop_.base());
  redisAsyncSetConnectCallback(ctx_, &RedisClient::onConnect);
  redisAsyncSetDisconnectCallback(ctx_, &RedisClient::onDisconnect);
  // hiredis 0.14 has no connect timeout in its async API: give up ourselves.
  connect_timer_ = loop_.runAfter(endpoint_.connect_timeout, [this] {
    connect_timer_ = 0;
    if (connected_ || !ctx_) return;
    redisAsyncContext* ctx = std::exchange(ctx_, nullptr);
    ctx->data = nullptr;
    lost("connect timed out");
    redisAsyncFree(ctx);  // not inside a hiredis callback: allowed
    scheduleReconnect();
  });
}

void RedisClient::onConnect(const redisAsyncContext* ctx, int status) {
  RedisClient* self = owner(ctx);
  if (!self) return;
  if (self->connect_timer_) self->loop_.cancel(std::exchange(self->connect_timer_, 0));
  if (status != REDIS_OK) {
    self->ctx_ = nullptr;  // hiredis frees it after this callback
    self->lost(ctx->errstr);
    self->scheduleReconnect();
    return;
  }
  self->connected_ = true;
  ++self->generation_;
  self->backoff_ = kFirstBackoff;
  log::info("connected to Redis at {}", self->endpoint_.str());
}

void RedisClient::onDisconnect(const redisAsyncContext* ctx, int status) {
  RedisClient* self = owner(ctx);
  if (!self) return;
  self->ctx_ = nullptr;  // freed by hiredis after this callback
  self->connected_ = false;
  self->lost(status == REDIS_OK ? "disconnected" : ctx->errstr);
  self->scheduleReconnect();
}

void RedisClient::lost(const std::string& why) {
  if (auto note = log::throttle("redis lost " + endpoint_.str())) {
    log::warn("Redis at {}: {}; reconnecting{}", endpoint_.str(), why, *note);
  }
}

void RedisClient::scheduleReconnect() {
  if (stopping_ || retry_timer_) return;
  retry_timer_ = loop_.runAfter(backoff_, [this] { connect(); });
  backoff_ = std::min(backoff_ * 2, endpoint_.reconnect_max);
}

Completion<Result<RedisReply>> RedisClient::command(const std::vector<std::string>& args) {
  auto [completion, deliver] = Completion<Result<RedisReply>>::make();
  if (!connected_ || !ctx_) {
    Error down{Errc::kUnavailable, "Redis at " + endpoint_.str() + " is not connected"};
    loop_.post([deliver, down] { deliver(down); });  // never inside the caller's own call
    return std::move(completion);
  }
  // RESP written here into one reused buffer: hiredis's own formatting
  // (sds strings built per argument) was a tenth of a cached load's cost.
  format_.clear();
  format_ += '*';
  format_ += std::to_string(args.size());
  format_ += "\r\n";
  for (const auto& a : args) {
    format_ += '$';
    format_ += std::to_string(a.size());
    format_ += "\r\n";
    format_ += a;
    format_ += "\r\n";
  }
  auto* in_flight = new InFlight{deliver};
  if (redisAsyncFormattedCommand(ctx_, &RedisClient::onReply, in_flight, format_.data(), format_.size()) != REDIS_OK) {
    delete in_flight;
    Error failed{Errc::kUnavailable, "Redis at " + endpoint_.str() + " refused the command (disconnecting)"};
    loop_.post([deliver, failed] { deliver(failed); });
  }
  return std::move(completion);
}

std::vector<std::string> RedisClient::evalShaArgs(const char* script, const std::vector<std::string>& rest) {
  auto& sha = script_sha_[script];
  if (sha.empty()) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(script), std::strlen(script), digest);
    static const char* hex = "0123456789abcdef";
    for (unsigned char b : digest) {
      sha += hex[b >> 4];
      sha += hex[b & 15];
    }
  }
  std::vector<std::string> args{"EVALSHA", sha};
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

Task<Result<RedisReply>> RedisClient::eval(const char* script, std::vector<std::string> rest) {
  std::vector<std::string> args = evalShaArgs(script, rest);
  auto first = command(args);
  auto reply = co_await first;
  if (reply || !isNoScript(reply.error())) co_return reply;
  args[0] = "EVAL";
  args[1] = script;
  auto second = command(args);
  auto retried = co_await second;
  co_return retried;
}

Task<Result<std::vector<RedisReply>>> RedisClient::evalMany(const char* script,
                                                            std::vector<std::vector<std::string>> rests) {
  std::vector<Completion<Result<RedisReply>>> pending;
  pending.reserve(rests.size());
  for (const auto& rest : rests) pending.push_back(command(evalShaArgs(script, rest)));
  std::vector<RedisReply> replies;
  replies.reserve(rests.size());
  for (size_t i = 0; i < pending.size(); ++i) {
    auto reply = co_await pending[i];
    if (!reply && isNoScript(reply.error())) {  // Redis restarted and forgot the script
      auto again = eval(script, rests[i]);
      reply = co_await std::move(again);
    }
    if (!reply) co_return reply.error();
    replies.push_back(std::move(*reply));
  }
  co_return replies;
}

void RedisClient::onReply(redisAsyncContext* ctx, void* reply, void* privdata) {
  std::unique_ptr<InFlight> in_flight(static_cast<InFlight*>(privdata));
  if (!owner(ctx)) return;  // the client is being destroyed: nobody to tell
  auto* r = static_cast<redisReply*>(reply);
  if (!r) {
    in_flight->deliver(Error{Errc::kUnavailable, "the connection to Redis at " + owner(ctx)->endpoint_.str() +
                                                     " was lost"});
  } else if (r->type == REDIS_REPLY_ERROR) {
    in_flight->deliver(Error{Errc::kRemote, "Redis: " + std::string(r->str, r->len)});
  } else {
    in_flight->deliver(copyReply(*r));
  }
}

}  // namespace polis::db
