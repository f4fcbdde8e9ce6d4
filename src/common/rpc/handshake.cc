#include "rpc/handshake.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace polis::rpc {

Handshake::Handshake(std::string secret, Side side) : secret_(std::move(secret)), side_(side) {
  std::string nonce(kNonceSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), kNonceSize) != 1) std::abort();
  own_.set_nonce(std::move(nonce));
}

std::optional<Proof> Handshake::answer(const Challenge& peer) {
  if (peer.nonce().size() != kNonceSize || peer.nonce() == own_.nonce()) return std::nullopt;
  peer_ = peer;
  got_peer_ = true;
  Proof proof;
  proof.set_mac(mac(side_, peer_.nonce(), own_.nonce()));
  return proof;
}

bool Handshake::verify(const Proof& proof) const {
  if (!got_peer_) return false;
  Side peer_side = side_ == Side::kDial ? Side::kAccept : Side::kDial;
  std::string expected = mac(peer_side, own_.nonce(), peer_.nonce());
  return proof.mac().size() == expected.size() &&
         CRYPTO_memcmp(proof.mac().data(), expected.data(), expected.size()) == 0;
}

std::string Handshake::mac(Side prover, std::string_view verifier_nonce, std::string_view prover_nonce) const {
  std::string input = "polis/2";
  input.append(prover == Side::kDial ? "dial" : "accept").append(verifier_nonce).append(prover_nonce);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace polis::rpc
