// A real redis-server for a test: started on a free 127.0.0.1 port as an
// ordinary child process (no persistence, nothing on disk), killed and
// restarted on the same port at will, and always killed at the end.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "net/endpoint.h"
#include "support/loopback_socket.h"

extern char** environ;

namespace polis::testing {

class RedisProcess {
 public:
  RedisProcess() : port_(freePort()) { start(); }
  ~RedisProcess() { kill(); }
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  uint16_t port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // Starts it (again) and waits until it accepts connections; false if it did not.
  bool start() {
    std::string port = std::to_string(port_);
    std::vector<std::string> args = {"/usr/bin/redis-server", "--port", port, "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--protected-mode", "no",
                                     "--logfile", "/dev/null"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      return false;
    }
    for (int i = 0; i < 200; ++i) {
      int fd = connectLoopback(port_);
      if (fd >= 0) {
        ::close(fd);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // SIGKILL and reap, as a crash would end it.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static uint16_t freePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    auto addr = net::numericAddress("127.0.0.1", 0);
    bind(fd, addr->get(), addr->length);
    uint16_t port = net::boundPort(fd);
    ::close(fd);
    return port;
  }

  uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace polis::testing
