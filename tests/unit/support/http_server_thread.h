// An HttpServer on an EventLoop of its own thread, as on a node, for tests
// that talk to it through blocking sockets on the test thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "net/http_server.h"

namespace polis::testing {

class HttpServerThread {
 public:
  // `routes` runs on the server's thread before it starts listening.
  explicit HttpServerThread(std::function<void(net::HttpServer&)> routes,
                            std::chrono::milliseconds idle_timeout = net::HttpServer::kIdleTimeout) {
    std::promise<Result<uint16_t>> started;
    thread_ = std::thread([&, routes = std::move(routes)] {
      EventLoop loop;
      net::HttpServer server(loop, "127.0.0.1", 0, idle_timeout);
      routes(server);
      loop_ = &loop;
      server_ = &server;
      started.set_value(server.start());
      loop.run();
    });
    result_ = started.get_future().get();
  }
  ~HttpServerThread() {
    loop_->quit();
    thread_.join();
  }
  HttpServerThread(const HttpServerThread&) = delete;
  HttpServerThread& operator=(const HttpServerThread&) = delete;

  const Result<uint16_t>& started() const { return result_; }
  uint16_t port() const { return result_ ? *result_ : 0; }
  EventLoop& loop() { return *loop_; }
  net::HttpServer& server() { return *server_; }  // touch only on the loop thread

 private:
  std::thread thread_;
  EventLoop* loop_ = nullptr;
  net::HttpServer* server_ = nullptr;
  Result<uint16_t> result_{Error{Errc::kInternal, "not started"}};
};

}  // namespace polis::testing
