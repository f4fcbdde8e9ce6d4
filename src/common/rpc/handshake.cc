#include "rpc/handshake.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace polis::rpc {
namespace {
constexpr size_t kNonceSize = 32;
}

Handshake::Handshake(std::string secret, std::string local_name) : secret_(std::move(secret)) {
  std::string nonce(kNonceSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), kNonceSize) != 1) std::abort();
  own_.set_nonce(std::move(nonce));
  own_.set_node(std::move(local_name));
}

Proof Handshake::answer(const Challenge& peer) {
  peer_ = peer;
  got_peer_ = true;
  Proof proof;
  proof.set_mac(mac(peer_.nonce(), own_.nonce(), own_.node()));
  return proof;
}

bool Handshake::verify(const Proof& proof) const {
  if (!got_peer_ || peer_.nonce().size() != kNonceSize) return false;
  std::string expected = mac(own_.nonce(), peer_.nonce(), peer_.node());
  return proof.mac().size() == expected.size() &&
         CRYPTO_memcmp(proof.mac().data(), expected.data(), expected.size()) == 0;
}

std::string Handshake::mac(std::string_view verifier_nonce, std::string_view prover_nonce,
                           std::string_view prover) const {
  std::string input = "polis/1";
  input.append(verifier_nonce).append(prover_nonce).append(prover);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace polis::rpc
