// TcpServer, TcpClient and TcpConnection over real loopback sockets, driven
// by a real EventLoop on the test thread.
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "net/net_metrics.h"
#include "net/tcp_client.h"
#include "net/tcp_server.h"
#include "support/loop_runner.h"
#include "support/loopback_socket.h"

namespace polis::net {
namespace {

using namespace std::chrono_literals;
using polis::testing::runFor;
using polis::testing::runUntil;

std::string drain(evbuffer* input) {
  std::string bytes(evbuffer_get_length(input), '\0');
  evbuffer_remove(input, bytes.data(), bytes.size());
  return bytes;
}

// One side of a connection as a test sees it: what arrived, and how it closed.
struct Peer {
  TcpConnection::Ptr conn;
  std::string received;
  int closes = 0;
  std::string close_reason;

  // Starts `c`, appending input to `received`. Holds only a weak reference in
  // the callbacks, as real owners do.
  void start(TcpConnection::Ptr c) {
    conn = std::move(c);
    conn->start([this](evbuffer* input) { received += drain(input); },
                [this](const TcpConnection::Ptr&, std::string_view reason) {
                  ++closes;
                  close_reason = std::string(reason);
                });
  }
  void send(const std::string& bytes) { conn->send(bytes.data(), bytes.size()); }
};

class TcpTest : public ::testing::Test {
 protected:
  // Starts `server` and makes each accepted connection the next server peer.
  uint16_t listen(TcpServer& server) {
    auto port = server.start([this](TcpConnection::Ptr c) {
      server_peers.push_back(std::make_unique<Peer>());
      server_peers.back()->start(std::move(c));
    });
    EXPECT_TRUE(port.ok()) << port.error().describe();
    return port.ok() ? *port : 0;
  }

  // Starts `server`, dials it with `client`, and returns once both ends are
  // up: the dialling end in `near`, the accepted end in server_peers[0].
  bool connectPair(ConnectionOptions server_options = {}) {
    server = std::make_unique<TcpServer>(loop, "127.0.0.1", 0, server_options);
    port = listen(*server);
    client = std::make_unique<TcpClient>(loop, "127.0.0.1", port);
    client->connect([this](TcpConnection::Ptr c) { near.start(std::move(c)); });
    return runUntil(loop, [&] { return near.conn && server_peers.size() == 1; });
  }

  EventLoop loop;  // first: outlives every connection below
  std::vector<std::unique_ptr<Peer>> server_peers;
  Peer near;
  std::unique_ptr<TcpServer> server;
  std::unique_ptr<TcpClient> client;
  uint16_t port = 0;
};

TEST_F(TcpTest, ServerBindsAnEphemeralPort) {
  TcpServer server(loop, "127.0.0.1", 0);
  uint16_t port = listen(server);
  EXPECT_NE(port, 0);
  EXPECT_EQ(server.port(), port);
}

TEST_F(TcpTest, ListenOnANonNumericHostFailsWithAClearError) {
  TcpServer server(loop, "not-an-ip", 0);
  auto port = server.start([](TcpConnection::Ptr) {});
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message.find("not-an-ip"), std::string::npos) << port.error().message;
}

TEST_F(TcpTest, DataFlowsBothWays) {
  ASSERT_TRUE(connectPair());

  near.send("ping from client");
  ASSERT_TRUE(runUntil(loop, [&] { return server_peers[0]->received.size() >= 16; }));
  EXPECT_EQ(server_peers[0]->received, "ping from client");

  std::string big(256 * 1024, 'b');
  server_peers[0]->send(big);
  ASSERT_TRUE(runUntil(loop, [&] { return near.received.size() >= big.size(); }));
  EXPECT_EQ(near.received, big);
  EXPECT_EQ(near.closes, 0);
  EXPECT_EQ(server_peers[0]->closes, 0);
  EXPECT_NE(near.conn->id(), server_peers[0]->conn->id());
  EXPECT_EQ(near.conn->peer(), "127.0.0.1:" + std::to_string(port));
}

// STYLE habit 4: close() inside the connection's own callback only marks it;
// the teardown and the close callback come on a later turn, exactly once.
TEST_F(TcpTest, CloseInsideDataCallbackDefersTeardown) {
  TcpServer server(loop, "127.0.0.1", 0);
  std::weak_ptr<TcpConnection> weak;
  int closes = 0;
  std::string reason;
  bool alive_after_close = false, close_cb_ran_inside = false, checked = false;
  auto port = server.start([&](TcpConnection::Ptr c) {
    weak = c;
    // The only strong reference is this owner slot; the data callback drops
    // it, as an owner erasing a closed session from its map would.
    auto owner = std::make_shared<TcpConnection::Ptr>(c);
    c->start(
        [&, owner](evbuffer* input) {
          drain(input);
          (*owner)->close("closed by test");
          (*owner)->close("second close is ignored");
          (*owner)->closeAfterFlush("and so is this");
          owner->reset();
          alive_after_close = !weak.expired() && weak.lock()->closing();
          close_cb_ran_inside = closes != 0;
          checked = true;
        },
        [&](const TcpConnection::Ptr&, std::string_view r) {
          ++closes;
          reason = std::string(r);
        });
  });
  ASSERT_TRUE(port.ok());
  TcpClient client(loop, "127.0.0.1", *port);
  Peer near;
  client.connect([&](TcpConnection::Ptr c) {
    near.start(std::move(c));
    near.send("x");
  });
  ASSERT_TRUE(runUntil(loop, [&] { return closes > 0 && near.closes > 0; }));
  EXPECT_TRUE(checked);
  EXPECT_TRUE(alive_after_close) << "freed inside its own callback";
  EXPECT_FALSE(close_cb_ran_inside) << "close callback ran inside the data callback";
  EXPECT_EQ(reason, "closed by test");
  runFor(loop, 30ms);
  EXPECT_EQ(closes, 1) << "close callback must fire exactly once";
  EXPECT_TRUE(weak.expired()) << "nobody holds the connection after teardown";
}

TEST_F(TcpTest, CloseAfterFlushDeliversQueuedBytesFirst) {
  ASSERT_TRUE(connectPair());

  // More than the socket buffers hold, so most of it is still queued when
  // closeAfterFlush is called.
  std::string payload(8 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 31 + 7);
  Peer& far = *server_peers[0];
  far.send(payload);
  far.conn->closeAfterFlush("done sending");
  EXPECT_GT(far.conn->queuedOutput(), 0u);
  EXPECT_FALSE(far.conn->closing()) << "still flushing";
  ASSERT_TRUE(runUntil(loop, [&] { return near.closes > 0 && far.closes > 0; }));
  ASSERT_GE(near.received.size(), payload.size());
  EXPECT_TRUE(near.received.compare(0, payload.size(), payload) == 0) << "bytes corrupted or reordered";
  EXPECT_EQ(far.close_reason, "done sending");
  EXPECT_EQ(far.closes, 1);
}

TEST_F(TcpTest, CloseAfterFlushWithNothingQueuedClosesAtOnce) {
  ASSERT_TRUE(connectPair());
  server_peers[0]->conn->closeAfterFlush("idle");
  EXPECT_TRUE(server_peers[0]->conn->closing());
  ASSERT_TRUE(runUntil(loop, [&] { return near.closes > 0 && server_peers[0]->closes > 0; }));
  EXPECT_EQ(server_peers[0]->close_reason, "idle");
}

// A connected socket that never reads: the kernel buffers fill, then our
// output queue grows until the high-water mark closes the connection.
int connectNonReadingSocket(uint16_t port) {
  return testing::connectLoopback(port, [](int s) {
    int small = 4096;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  });
}

TEST_F(TcpTest, PeerThatNeverReadsIsClosedAtTheHighWaterMark) {
  auto& slow_closes = netMetrics().slow_consumer_closes;
  uint64_t before = slow_closes.value();
  ConnectionOptions options;
  options.high_water_bytes = 1 << 20;
  TcpServer server(loop, "127.0.0.1", 0, options);
  uint16_t port = listen(server);
  int fd = connectNonReadingSocket(port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(runUntil(loop, [&] { return server_peers.size() == 1; }));

  Peer& far = *server_peers[0];
  std::string chunk(64 * 1024, 'h');
  size_t sent = 0;
  size_t max_queued = 0;
  TimerId writer = loop.runEvery(1ms, [&] {
    if (far.conn->closing()) return;
    far.send(chunk);
    sent += chunk.size();
    if (!far.conn->closing()) max_queued = std::max(max_queued, far.conn->queuedOutput());
  });
  bool closed = runUntil(loop, [&] { return far.closes > 0; });
  loop.cancel(writer);
  close(fd);
  ASSERT_TRUE(closed) << "sent " << sent << " bytes, never closed";
  EXPECT_NE(far.close_reason.find("high-water"), std::string::npos) << far.close_reason;
  EXPECT_EQ(slow_closes.value(), before + 1);
  EXPECT_LE(max_queued, options.high_water_bytes) << "queue grew past the mark while open";
  EXPECT_GT(sent, options.high_water_bytes);
}

TEST_F(TcpTest, ReadingPeerBelowTheMarkIsNotClosed) {
  auto& slow_closes = netMetrics().slow_consumer_closes;
  uint64_t before = slow_closes.value();
  ConnectionOptions options;
  options.high_water_bytes = 1 << 20;
  ASSERT_TRUE(connectPair(options));
  std::string chunk(16 * 1024, 'r');
  for (int i = 0; i < 20; ++i) server_peers[0]->send(chunk);  // 320 KiB, under the mark
  ASSERT_TRUE(runUntil(loop, [&] { return near.received.size() >= 20 * chunk.size(); }));
  EXPECT_EQ(server_peers[0]->closes, 0);
  EXPECT_EQ(slow_closes.value(), before);
}

TEST_F(TcpTest, ClientReconnectsAfterTheServerRestarts) {
  auto server = std::make_unique<TcpServer>(loop, "127.0.0.1", 0);
  uint16_t port = listen(*server);
  TcpClient client(loop, "127.0.0.1", port, {}, ReconnectPolicy{10ms, 40ms});
  std::vector<std::unique_ptr<Peer>> dialled;
  client.connect([&](TcpConnection::Ptr c) {
    auto peer = std::make_unique<Peer>();
    peer->conn = std::move(c);
    Peer* p = peer.get();
    p->conn->start([p](evbuffer* input) { p->received += drain(input); },
                   [p, &client](const TcpConnection::Ptr&, std::string_view reason) {
                     ++p->closes;
                     p->close_reason = std::string(reason);
                     client.connectionLost();
                   });
    dialled.push_back(std::move(peer));
  });
  ASSERT_TRUE(runUntil(loop, [&] { return dialled.size() == 1 && server_peers.size() == 1; }));

  // Take the server down: stop listening and drop the connection.
  server.reset();
  server_peers[0]->conn->close("server going down");
  ASSERT_TRUE(runUntil(loop, [&] { return dialled[0]->closes == 1; }));
  runFor(loop, 60ms);  // a few dials are refused while nobody listens
  EXPECT_EQ(dialled.size(), 1u);

  server = std::make_unique<TcpServer>(loop, "127.0.0.1", port);
  ASSERT_EQ(listen(*server), port);
  ASSERT_TRUE(runUntil(loop, [&] { return dialled.size() == 2 && server_peers.size() == 2; }));
  dialled[1]->send("back again");
  ASSERT_TRUE(runUntil(loop, [&] { return server_peers[1]->received == "back again"; }));

  client.stop();
  server_peers[1]->conn->close("test over");
  ASSERT_TRUE(runUntil(loop, [&] { return dialled[1]->closes == 1; }));
  runFor(loop, 60ms);
  EXPECT_EQ(dialled.size(), 2u) << "a stopped client must not dial again";
}

TEST_F(TcpTest, ClientRetriesUntilAServerAppears) {
  // Find a free port, then free it again so the first dials are refused.
  uint16_t port;
  {
    TcpServer probe(loop, "127.0.0.1", 0);
    port = listen(probe);
  }
  TcpClient client(loop, "127.0.0.1", port, {}, ReconnectPolicy{10ms, 20ms});
  Peer near;
  client.connect([&](TcpConnection::Ptr c) { near.start(std::move(c)); });
  runFor(loop, 50ms);
  EXPECT_FALSE(near.conn);
  TcpServer server(loop, "127.0.0.1", port);
  ASSERT_EQ(listen(server), port);
  ASSERT_TRUE(runUntil(loop, [&] { return near.conn && server_peers.size() == 1; }));
}

}  // namespace
}  // namespace polis::net
