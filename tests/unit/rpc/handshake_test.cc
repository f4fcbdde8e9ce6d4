// The cluster-secret handshake, and what a server does with peers that do
// not complete it: every one is closed and counted, and the server keeps serving.
#include <random>

#include "rpc_fixture.h"

namespace polis::rpc::testing {
namespace {

TEST(Handshake, ProofsVerifyOnlyWithTheSameSecret) {
  Handshake dialer(kSecret, Side::kDial), acceptor(kSecret, Side::kAccept), mallory("guess", Side::kDial);
  auto from_acceptor = acceptor.answer(dialer.challenge());
  ASSERT_TRUE(from_acceptor);
  EXPECT_FALSE(dialer.verify(*from_acceptor)) << "the dialer has not seen the acceptor's challenge yet";
  auto from_dialer = dialer.answer(acceptor.challenge());
  ASSERT_TRUE(from_dialer);
  EXPECT_TRUE(dialer.verify(*from_acceptor));
  EXPECT_TRUE(acceptor.verify(*from_dialer));

  Handshake victim(kSecret, Side::kAccept);
  ASSERT_TRUE(victim.answer(mallory.challenge()));
  EXPECT_FALSE(victim.verify(*mallory.answer(victim.challenge()))) << "wrong secret accepted";
}

TEST(Handshake, ProofIsBoundToTheConnectionsNonces) {
  Handshake a(kSecret, Side::kAccept), b(kSecret, Side::kDial), a2(kSecret, Side::kAccept);
  ASSERT_TRUE(a.answer(b.challenge()));
  ASSERT_TRUE(a2.answer(b.challenge()));
  auto for_a = b.answer(a.challenge());
  ASSERT_TRUE(for_a);
  EXPECT_TRUE(a.verify(*for_a));
  EXPECT_FALSE(a2.verify(*for_a)) << "a proof replayed to another connection verified";
}

// The reflection attack, on the handshake alone: a stranger holds two
// connections to the same node, both accepted by it. It hands the node's
// nonce from connection 1 to connection 2 as its own challenge, and offers
// the proof the node makes there back on connection 1.
TEST(Handshake, ANodesOwnProofReflectedBackIsRefused) {
  Handshake conn1(kSecret, Side::kAccept), conn2(kSecret, Side::kAccept);
  Challenge reflected;
  reflected.set_nonce(conn1.challenge().nonce());
  auto node_proof = conn2.answer(reflected);  // what the node says on connection 2
  ASSERT_TRUE(node_proof);
  Challenge second;
  second.set_nonce(conn2.challenge().nonce());
  ASSERT_TRUE(conn1.answer(second));
  EXPECT_FALSE(conn1.verify(*node_proof)) << "the node accepted its own proof: reflection passes without the secret";
}

TEST(Handshake, MalformedChallengesAreRefused) {
  Handshake h(kSecret, Side::kAccept);
  EXPECT_FALSE(h.answer(h.challenge())) << "our own nonce sent back";
  Challenge short_nonce;
  short_nonce.set_nonce(std::string(Handshake::kNonceSize - 1, 'x'));
  EXPECT_FALSE(h.answer(short_nonce));
  EXPECT_FALSE(h.answer(Challenge{})) << "no nonce";
  EXPECT_FALSE(h.gotChallenge());
}

TEST(Header, RoundTripsAndRejectsBadVersionOrKind) {
  unsigned char bytes[kHeaderSize];
  encodeHeader(Header{Kind::kError, 0xabcd, 0x01020304u, 0x1122334455667788ull}, bytes);
  std::string frame(reinterpret_cast<char*>(bytes), kHeaderSize);
  auto h = decodeHeader(frame);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->kind, Kind::kError);
  EXPECT_EQ(h->msg_id, 0xabcd);
  EXPECT_EQ(h->call_id, 0x01020304u);
  EXPECT_EQ(h->route_key, 0x1122334455667788ull);

  EXPECT_FALSE(decodeHeader(frame.substr(0, kHeaderSize - 1))) << "short";
  std::string bad_version = frame;
  bad_version[0] = 2;
  EXPECT_FALSE(decodeHeader(bad_version));
  for (unsigned char kind : {0, 6, 255}) {
    std::string bad_kind = frame;
    bad_kind[1] = static_cast<char>(kind);
    EXPECT_FALSE(decodeHeader(bad_kind)) << "kind " << int(kind);
  }
}

using RpcHandshakeTest = RpcTest;

TEST_F(RpcHandshakeTest, SameSecretMakesBothSidesReady) {
  connect();
  auto client_side = client->channel();
  auto server_side = server_channel.lock();
  ASSERT_TRUE(client_side && server_side);
  EXPECT_TRUE(client_side->ready());
  EXPECT_TRUE(server_side->ready());
  EXPECT_TRUE(server_side->authenticated());
  EXPECT_EQ(client_side->peerName(), "server");
  EXPECT_EQ(server_side->peerName(), "client");
  EXPECT_EQ(server->channelCount(), 1u);
  EXPECT_EQ(server_ready, 1);
  EXPECT_EQ(client_ready, 1);
}

TEST_F(RpcHandshakeTest, WrongSecretIsRefusedAndBothSidesClose) {
  auto& auth_failures = rpcMetrics().auth_failures;
  uint64_t failures_before = auth_failures.value();
  uint64_t rejected_before = rejectedCount("auth_failed");

  net::TcpClient tcp(loop, "127.0.0.1", port);
  Channel::Ptr intruder;
  bool ready = false, closed = false;
  tcp.connect([&](net::TcpConnection::Ptr conn) {
    intruder = Channel::start(std::move(conn), client_dispatcher, options("intruder", "not-the-secret"),
                              [&](const Channel::Ptr&) { ready = true; },
                              [&](const Channel::Ptr&) { closed = true; });
  });
  ASSERT_TRUE(runUntil(loop, [&] { return closed && server->channelCount() == 0 && intruder; }));
  EXPECT_FALSE(ready);
  EXPECT_FALSE(intruder->ready());
  EXPECT_FALSE(intruder->authenticated());
  EXPECT_EQ(server_ready, 0) << "the server accepted a peer without the secret";
  EXPECT_EQ(server_closed, 0) << "never-ready channels are not reported as closed";
  EXPECT_GE(auth_failures.value(), failures_before + 1);
  EXPECT_GE(rejectedCount("auth_failed"), rejected_before + 1);
  tcp.stop();
}

TEST_F(RpcHandshakeTest, RpcClientWithWrongSecretNeverBecomesReady) {
  uint64_t failures_before = rpcMetrics().auth_failures.value();
  client = std::make_unique<RpcClient>(loop, client_dispatcher, options("client", "wrong"), "127.0.0.1", port);
  client->start([this](const Channel::Ptr&) { ++client_ready; });
  ASSERT_TRUE(runUntil(loop, [&] { return rpcMetrics().auth_failures.value() > failures_before; }));
  runFor(loop, 50ms);
  EXPECT_EQ(client_ready, 0);
  EXPECT_EQ(server_ready, 0);
  EXPECT_FALSE(client->channel());
}

TEST_F(RpcHandshakeTest, RequestBeforeHandshakeIsRejectedUnauthenticated) {
  uint64_t before = rejectedCount("unauthenticated");
  RawPeer raw(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.connected(); }));
  raw.sendFrame(Header{Kind::kRequest, gen::Echo::kEcho.id, 1, 0}, echoMsg("let me in").SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  EXPECT_EQ(rejectedCount("unauthenticated"), before + 1);
  EXPECT_EQ(impl.started, 0) << "a handler ran for an unauthenticated peer";
  EXPECT_TRUE(raw.frames().empty()) << "the server answered an unauthenticated request";
  ASSERT_TRUE(runUntil(loop, [&] { return server->channelCount() == 0; }));
}

TEST_F(RpcHandshakeTest, GarbageHeaderCloses) {
  uint64_t before = rejectedCount("bad_header");
  RawPeer raw(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.connected(); }));
  std::string frame(20, '\xab');  // version 0xab
  raw.sendBytes(std::string("\0\0\0\x14", 4) + frame);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  EXPECT_EQ(rejectedCount("bad_header"), before + 1);
}

TEST_F(RpcHandshakeTest, OversizeLengthPrefixClosesWithoutWaitingForTheBody) {
  uint64_t before = rejectedCount("oversize");
  RawPeer raw(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.connected(); }));
  raw.sendBytes(std::string("\x7f\xff\xff\xff", 4));  // 2 GiB announced, nothing follows
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms) << "closed by the handshake timeout, not the codec";
  EXPECT_EQ(rejectedCount("oversize"), before + 1);
}

TEST_F(RpcHandshakeTest, FrameShorterThanTheHeaderCloses) {
  uint64_t before = rejectedCount("too_short");
  RawPeer raw(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.connected(); }));
  raw.sendBytes(std::string("\0\0\0\x03" "abc", 7));
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  EXPECT_EQ(rejectedCount("too_short"), before + 1);
}

TEST_F(RpcHandshakeTest, SilentPeerIsClosedAfterTheHandshakeTimeout) {
  uint64_t before = rejectedCount("handshake timed out");
  RawPeer raw(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.connected(); }));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 150ms) << "closed before the 200 ms handshake timeout";
  EXPECT_LT(waited, 2s);
  EXPECT_EQ(rejectedCount("handshake timed out"), before + 1);
  ASSERT_TRUE(runUntil(loop, [&] { return server->channelCount() == 0; }));
}

TEST_F(RpcHandshakeTest, SecondHandshakeAfterReadyIsRejected) {
  uint64_t before = rejectedCount("handshake_after_ready");
  RawPeer raw(loop, port, kSecret);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.proved(); }));
  Handshake again(kSecret, Side::kDial);
  raw.sendFrame(Header{Kind::kHandshake, kChallengeStep, 0, 0}, again.challenge().SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  EXPECT_EQ(rejectedCount("handshake_after_ready"), before + 1);
  EXPECT_EQ(server_ready, 1) << "the raw peer's first handshake was valid";
}

TEST_F(RpcHandshakeTest, RawPeerWithTheSecretCanCall) {
  // Validates RawPeer itself, which other tests use to send malformed frames.
  RawPeer raw(loop, port, kSecret);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.proved(); }));
  raw.sendFrame(Header{Kind::kRequest, gen::Echo::kEcho.id, 7, 99}, echoMsg("hi").SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return !raw.frames().empty(); }));
  const auto& reply = raw.frames()[0];
  EXPECT_EQ(reply.header.kind, Kind::kResponse);
  EXPECT_EQ(reply.header.call_id, 7u);
  EchoMsg echoed;
  ASSERT_TRUE(echoed.ParseFromString(reply.body));
  EXPECT_EQ(echoed.payload(), "hi");
  EXPECT_EQ(impl.last_player, 99u);
  EXPECT_FALSE(raw.closed());
}

// Random bytes from many strangers: every connection ends (rejected or timed
// out), nothing reaches a handler, and a real client is still served.
TEST_F(RpcHandshakeTest, RandomGarbageNeverReachesHandlersAndServerKeepsServing) {
  std::mt19937 rng(2024);
  std::vector<std::unique_ptr<RawPeer>> strangers;
  for (int i = 0; i < 30; ++i) strangers.push_back(std::make_unique<RawPeer>(loop, port));
  ASSERT_TRUE(runUntil(loop, [&] {
    for (auto& s : strangers) if (!s->connected()) return false;
    return true;
  }));
  for (auto& s : strangers) {
    std::string bytes(rng() % 200, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    if (bytes.size() > 4 && rng() % 2) bytes[0] = bytes[1] = 0;  // plausible lengths reach the header check
    s->sendBytes(bytes);
  }
  ASSERT_TRUE(runUntil(loop, [&] {
    for (auto& s : strangers) if (!s->closed()) return false;
    return server->channelCount() == 0;
  }));
  EXPECT_EQ(impl.started, 0);
  EXPECT_EQ(server_ready, 0);
  connect();
  auto reply = echoNow(echoMsg("still here"));
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
  EXPECT_EQ(reply->payload(), "still here");
}

}  // namespace
}  // namespace polis::rpc::testing
