// Handshake: mutual proof of the cluster secret, before any other frame.
// On connect both sides send a Challenge (a fresh 32-byte nonce and their node
// name). On receiving the peer's challenge a side answers with a Proof:
//   HMAC-SHA256(secret, "polis/1" | peer_nonce | own_nonce | own_name)
// so a proof is bound to this connection's two nonces and cannot be replayed.
// Each side accepts the peer once the peer's proof verifies.
#pragma once

#include <string>
#include <string_view>

#include "polis/rpc.pb.h"

namespace polis::rpc {

class Handshake {
 public:
  Handshake(std::string secret, std::string local_name);

  const Challenge& challenge() const { return own_; }
  // Remembers the peer's challenge and returns our proof for it.
  Proof answer(const Challenge& peer);
  // True when `proof` shows the peer (whose challenge we hold) knows the secret.
  bool verify(const Proof& proof) const;
  bool gotChallenge() const { return got_peer_; }
  const std::string& peerName() const { return peer_.node(); }

 private:
  std::string mac(std::string_view verifier_nonce, std::string_view prover_nonce, std::string_view prover) const;

  std::string secret_;
  Challenge own_;
  Challenge peer_;
  bool got_peer_ = false;
};

}  // namespace polis::rpc
