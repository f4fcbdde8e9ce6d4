// Endpoints: "host:port" text, numeric socket addresses, bound ports. The one
// place the runtime turns addresses from config into sockets and back.
// Hosts are numeric (IPv4, IPv6, or "localhost" for 127.0.0.1): nothing here
// does DNS, which would block the event loop.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace polis::net {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string str() const;  // "host:port", "[v6]:port"
};

// Parses "host:port", "[v6]:port"; the port must be 1..65535. nullopt when malformed.
std::optional<Endpoint> parseEndpoint(std::string_view text);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The address of a numeric host and port; the error says the host is not numeric.
Result<SocketAddress> numericAddress(const std::string& host, uint16_t port);

// The local port a socket is bound to (0 if it cannot be read).
uint16_t boundPort(int fd);

}  // namespace polis::net
