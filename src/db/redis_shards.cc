#include "db/redis_shards.h"

#include "base/metrics.h"
#include "net/endpoint.h"

namespace polis::db {

RedisShards::RedisShards(EventLoop& loop, const RedisConfig& config) : ring_(config.shards) {
  for (const auto& text : config.shards) {
    auto e = net::parseEndpoint(text);  // validated with the config
    clients_.push_back(std::make_unique<RedisClient>(
        loop, RedisEndpoint{e->host, e->port, config.connect_timeout, config.reconnect_max}));
    RedisClient* shard = clients_.back().get();
    metrics::Registry::global().callbackGauge("polis_db_redis_connected", "1 while this Redis shard is connected.",
                                              {{"shard", text}}, [shard] { return shard->connected() ? 1.0 : 0.0; });
  }
}

RedisShards::~RedisShards() {
  for (const auto& s : clients_) {
    metrics::Registry::global().removeCallbackGauge("polis_db_redis_connected", {{"shard", s->endpoint().str()}});
  }
}

void RedisShards::start() {
  for (auto& s : clients_) s->start();
}

}  // namespace polis::db
