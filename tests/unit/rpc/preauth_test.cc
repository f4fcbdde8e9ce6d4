// What a peer can make a node do before it has proven the cluster secret:
// only handshake-sized frames are read, the node's name is never sent to it,
// and a peer that proves the secret but claims the node's own name is refused.
#include <algorithm>

#include "rpc_test_support.h"

namespace polis::rpc::testing {
namespace {

using PreAuthTest = RpcServerOptionsTest;

std::string lengthPrefix(uint32_t n) {
  unsigned char p[4];
  net::putU32(p, n);
  return std::string(reinterpret_cast<char*>(p), 4);
}

std::vector<uint16_t> steps(const RawPeer& raw) {
  std::vector<uint16_t> out;
  for (const auto& f : raw.handshakeFrames()) out.push_back(f.header.msg_id);
  return out;
}

// An EchoMsg whose request frame (header and body, what the length prefix
// counts) is exactly `frame_bytes` long.
EchoMsg echoOfFrameSize(size_t frame_bytes) {
  size_t n = frame_bytes - kHeaderSize;
  EchoMsg m = echoMsg(std::string(n, 'x'));
  while (kHeaderSize + m.ByteSizeLong() > frame_bytes) m.set_payload(std::string(--n, 'x'));
  EXPECT_EQ(kHeaderSize + m.ByteSizeLong(), frame_bytes);
  return m;
}

TEST_F(PreAuthTest, StrangerAnnouncingAFrameOverTheHandshakeCapIsClosedAtOnce) {
  uint64_t before = rejectedCount("oversize");
  RawPeer raw(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.connected(); }));
  raw.sendBytes(lengthPrefix(kMaxHandshakeFrame + 1));  // 513, and nothing else
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms) << "closed by the handshake timeout, not the cap";
  EXPECT_EQ(rejectedCount("oversize"), before + 1);
  ASSERT_TRUE(runUntil(loop, [&] { return server->unauthenticated() == 0; }));
  EXPECT_EQ(server_ready, 0);
}

TEST_F(PreAuthTest, HandshakeFrameOfExactlyTheCapPassesTheSizeCheck) {
  uint64_t oversize = rejectedCount("oversize");
  uint64_t bad = rejectedCount("bad_handshake");
  RawPeer raw(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.connected(); }));
  // A 512-byte challenge frame whose body does not parse.
  raw.sendFrame(Header{Kind::kHandshake, kChallengeStep, 0, 0}, std::string(kMaxHandshakeFrame - kHeaderSize, '\0'));
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  EXPECT_EQ(rejectedCount("oversize"), oversize) << "a frame of exactly kMaxHandshakeFrame was refused for its size";
  EXPECT_EQ(rejectedCount("bad_handshake"), bad + 1);
}

TEST_F(PreAuthTest, ReadyChannelAcceptsFramesUpToMaxFrameBytes) {
  ChannelOptions o = options("server");
  o.max_frame_bytes = 4096;
  ASSERT_NO_FATAL_FAILURE(restartServer(o));
  RawPeer raw(loop, port, kSecret);
  ASSERT_TRUE(runUntil(loop, [&] { return raw.proved() && server_ready == 1; }));

  // Far over the pre-auth cap, exactly at the channel's limit: served.
  EchoMsg at_limit = echoOfFrameSize(4096);
  raw.sendFrame(Header{Kind::kRequest, gen::Echo::kEcho.id, 1, 0}, at_limit.SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return !raw.frames().empty() || raw.closed(); }));
  ASSERT_FALSE(raw.closed()) << "a ready channel refused a frame of max_frame_bytes";
  EXPECT_EQ(raw.frames()[0].header.kind, Kind::kResponse);
  EchoMsg echoed;
  ASSERT_TRUE(echoed.ParseFromString(raw.frames()[0].body));
  EXPECT_EQ(echoed.payload(), at_limit.payload());

  // One byte more: closed as oversize.
  uint64_t before = rejectedCount("oversize");
  raw.sendFrame(Header{Kind::kRequest, gen::Echo::kEcho.id, 2, 0}, echoOfFrameSize(4097).SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return raw.closed(); }));
  EXPECT_EQ(rejectedCount("oversize"), before + 1);
  EXPECT_EQ(raw.frames().size(), 1u);
}

TEST_F(PreAuthTest, RealClientCallsWithFramesOverTheHandshakeCap) {
  ASSERT_NO_FATAL_FAILURE(connect());
  auto reply = echoNow(echoMsg(std::string(64 * 1024, 'p')));
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
  EXPECT_EQ(reply->payload().size(), 64u * 1024);
}

TEST_F(PreAuthTest, PeerThatProvesTheSecretButClaimsOurNameIsRejected) {
  uint64_t before = rejectedCount("peer_claims_our_name");
  RawPeer impostor(loop, port, kSecret, "server");  // the server's own name
  ASSERT_TRUE(runUntil(loop, [&] { return impostor.proved(); }));
  // Whatever it sends next never reaches a handler.
  impostor.sendFrame(Header{Kind::kRequest, gen::Echo::kEcho.id, 1, 0}, echoMsg("as you").SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return impostor.closed(); }));
  EXPECT_EQ(rejectedCount("peer_claims_our_name"), before + 1);
  EXPECT_EQ(server_ready, 0) << "the impostor's channel became ready";
  EXPECT_TRUE(server_channel.expired());
  EXPECT_EQ(impl.started, 0);
  EXPECT_TRUE(impostor.frames().empty());
  ASSERT_TRUE(runUntil(loop, [&] { return server->channelCount() == 0 && server->unauthenticated() == 0; }));
  EXPECT_EQ(server_closed, 0);
}

TEST_F(PreAuthTest, SilentStrangerGetsOnlyTheChallenge) {
  RawPeer stranger(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return stranger.connected() && !stranger.handshakeFrames().empty(); }));
  runFor(loop, 50ms);
  EXPECT_EQ(steps(stranger), (std::vector<uint16_t>{kChallengeStep}));
  for (const auto& f : stranger.handshakeFrames()) {
    EXPECT_EQ(f.body.find("server"), std::string::npos) << "the node's name reached a stranger";
  }
  EXPECT_TRUE(stranger.frames().empty());
}

TEST_F(PreAuthTest, StrangerWithAWrongProofNeverReceivesTheIdentity) {
  uint64_t failures = rpcMetrics().auth_failures.value();
  RawPeer stranger(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return !stranger.serverNonce().empty(); }));
  Handshake guess("not-the-secret", Side::kDial);
  stranger.sendFrame(Header{Kind::kHandshake, kChallengeStep, 0, 0}, guess.challenge().SerializeAsString());
  Challenge theirs;
  theirs.set_nonce(stranger.serverNonce());
  auto proof = guess.answer(theirs);
  ASSERT_TRUE(proof);
  stranger.sendFrame(Header{Kind::kHandshake, kProofStep, 0, 0}, proof->SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return stranger.closed(); }));
  // It got the node's challenge and its proof (bound to this connection and
  // direction, worthless elsewhere), never step 3.
  EXPECT_EQ(steps(stranger), (std::vector<uint16_t>{kChallengeStep, kProofStep}));
  for (const auto& f : stranger.handshakeFrames()) EXPECT_EQ(f.body.find("server"), std::string::npos);
  EXPECT_EQ(rpcMetrics().auth_failures.value(), failures + 1);
  EXPECT_EQ(server_ready, 0);
}

TEST_F(PreAuthTest, IdentityWithoutAProofIsRefused) {
  uint64_t before = rejectedCount("bad_handshake");
  RawPeer stranger(loop, port);
  ASSERT_TRUE(runUntil(loop, [&] { return !stranger.serverNonce().empty(); }));
  Handshake guess("not-the-secret", Side::kDial);
  stranger.sendFrame(Header{Kind::kHandshake, kChallengeStep, 0, 0}, guess.challenge().SerializeAsString());
  Identity identity;
  identity.set_node("skipped-the-proof");
  stranger.sendFrame(Header{Kind::kHandshake, kIdentityStep, 0, 0}, identity.SerializeAsString());
  ASSERT_TRUE(runUntil(loop, [&] { return stranger.closed(); }));
  EXPECT_EQ(rejectedCount("bad_handshake"), before + 1);
  EXPECT_EQ(server_ready, 0);
  auto seen = steps(stranger);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), kIdentityStep), 0);
}

}  // namespace
}  // namespace polis::rpc::testing
