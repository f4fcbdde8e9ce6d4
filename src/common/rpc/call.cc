#include "rpc/call.h"

#include "rpc/channel.h"

namespace polis::rpc {

std::string Call::peer() const {
  auto ch = channel_->lock();
  return ch ? ch->peerName() : std::string();
}

}  // namespace polis::rpc
