// Channel, part two: the handshake steps (rpc/handshake.h has the protocol).
// Every kHandshake frame comes here; after the handshake one closes the connection.
#include "base/log.h"
#include "base/log_throttle.h"
#include "net/net_metrics.h"
#include "rpc/channel.h"
#include "rpc/rpc_metrics.h"

namespace polis::rpc {
namespace {

// A node name from the wire: 1..kMaxNodeName bytes, no control characters
// (it goes into logs and metrics labels).
bool validNodeName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNodeName) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool Channel::onHandshakeFrame(const Header& h, std::string_view body) {
  if (state_ != State::kHandshaking) {
    reject("handshake_after_ready");
    return false;
  }
  switch (h.msg_id) {
    case kChallengeStep: return onChallenge(body);
    case kProofStep: return onProof(body);
    case kIdentityStep: return onIdentity(body);
    default:
      reject("bad_handshake");
      return false;
  }
}

bool Channel::onChallenge(std::string_view body) {
  Challenge peer;
  std::optional<Proof> proof;
  if (handshake_.gotChallenge() || !peer.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
      !(proof = handshake_.answer(peer))) {
    reject("bad_handshake");
    return false;
  }
  sendFrame(Header{Kind::kHandshake, kProofStep, 0, 0}, &*proof);
  return true;
}

bool Channel::onProof(std::string_view body) {
  Proof proof;
  if (!handshake_.gotChallenge() || peer_proved_ || !proof.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    reject("bad_handshake");
    return false;
  }
  if (!handshake_.verify(proof)) {
    onAuthFailure();
    return false;
  }
  // Only now does the peer learn who we are.
  peer_proved_ = true;
  Identity identity;
  identity.set_node(options_.local_name);
  sendFrame(Header{Kind::kHandshake, kIdentityStep, 0, 0}, &identity);
  return true;
}

bool Channel::onIdentity(std::string_view body) {
  Identity identity;
  if (!peer_proved_ || !identity.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
      !validNodeName(identity.node())) {
    reject("bad_handshake");
    return false;
  }
  if (identity.node() == options_.local_name) {
    // Another node configured with our name, or a connection to ourselves.
    reject("peer_claims_our_name");
    return false;
  }
  state_ = State::kReady;
  authenticated_ = true;
  peer_name_ = identity.node();
  loop().cancel(std::exchange(handshake_timer_, 0));
  if (on_ready_) on_ready_(shared_from_this());
  return state_ != State::kClosed;
}

void Channel::onAuthFailure() {
  rpcMetrics().auth_failures.inc();
  auth_failed_ = true;
  if (options_.outgoing) {
    if (auto note = log::throttle("auth join " + conn_->peer())) {
      log::warn("cannot join the node at {}: the cluster-secret proofs do not match "
                "(this node's cluster.secret differs from the peer's){}", conn_->peer(), *note);
    }
  } else if (auto note = log::throttle("auth refused " + net::hostPart(conn_->peer()))) {
    log::warn("refused a peer at {}: it failed the cluster-secret proof (its cluster.secret differs){}",
              conn_->peer(), *note);
  }
  net::netMetrics().rejected("auth_failed");
  close("auth_failed", /*flush=*/true);
}

}  // namespace polis::rpc
