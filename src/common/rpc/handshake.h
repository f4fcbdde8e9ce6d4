// Handshake: mutual proof of the cluster secret, before any other frame.
//
//   step 1  Challenge{nonce}  both sides, on connect: a fresh 32-byte nonce
//   step 2  Proof{mac}        each side, on the peer's challenge:
//             HMAC-SHA256(secret, "polis/2" | prover_side | verifier_nonce | prover_nonce)
//           prover_side is "dial" or "accept": the prover's end of the TCP connection
//   step 3  Identity{node}    each side, once the peer's proof verified
//
// A proof is bound to both nonces of one connection (it is worth nothing on
// another) and to its direction: a node only ever makes proofs for its own
// side and only accepts proofs for the other side, so a stranger who opens
// two connections and reflects the node's own proof back at it is refused.
// Names are sent only to a peer that has proven the secret. This does not
// stop an attacker on the path between two nodes (nothing is encrypted):
// inter-node links belong on a private network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "polis/rpc.pb.h"

namespace polis::rpc {

enum class Side { kDial, kAccept };

// The msg_id of a kHandshake frame is its step.
enum HandshakeStep : uint16_t { kChallengeStep = 1, kProofStep = 2, kIdentityStep = 3 };
// No handshake frame is larger (header and body): before a peer has proven
// the secret, a longer length prefix closes the connection at once, so a
// stranger cannot make a node buffer a large frame.
inline constexpr size_t kMaxHandshakeFrame = 512;
// Longest node name an Identity may carry.
inline constexpr size_t kMaxNodeName = 128;

class Handshake {
 public:
  static constexpr size_t kNonceSize = 32;

  Handshake(std::string secret, Side side);

  const Challenge& challenge() const { return own_; }
  // Remembers the peer's challenge and returns our proof for it; nullopt for
  // a malformed challenge (a nonce of the wrong size, or our own nonce sent back).
  std::optional<Proof> answer(const Challenge& peer);
  // True when `proof` shows the peer (whose challenge we hold) knows the secret.
  bool verify(const Proof& proof) const;
  bool gotChallenge() const { return got_peer_; }

 private:
  std::string mac(Side prover, std::string_view verifier_nonce, std::string_view prover_nonce) const;

  std::string secret_;
  Side side_;
  Challenge own_;
  Challenge peer_;
  bool got_peer_ = false;
};

}  // namespace polis::rpc
