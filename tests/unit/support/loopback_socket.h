// A blocking TCP socket connected to 127.0.0.1:port, for tests that play a
// raw peer. `prepare` may set socket options before connecting.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>

namespace polis::testing {

// Returns the connected fd, or -1.
inline int connectLoopback(uint16_t port, const std::function<void(int fd)>& prepare = {}) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (prepare) prepare(fd);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace polis::testing
