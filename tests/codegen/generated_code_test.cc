// The generated C++ for fixtures/good.proto against the real rpc layer:
// a service binds into a HandlerTable by the proto's ids, and stubs without a
// channel fail with a typed error instead of crashing.
#include <optional>

#include <gtest/gtest.h>

#include "good.polis.h"

namespace {

using game::rooms::ChatMsg;
using game::rooms::CreateRoomReq;
using game::rooms::RoomInfo;
using game::rooms::gen::Rooms;

class RoomsImpl final : public Rooms::Service {
 public:
  polis::Task<polis::Result<RoomInfo>> Create(polis::Call& call, const CreateRoomReq& req) override {
    RoomInfo info;
    info.set_room_id(7);
    co_return info;
  }
  polis::Task<polis::Result<polis::Empty>> Leave(polis::Call& call, const CreateRoomReq::Mode& req) override {
    co_return polis::Empty{};
  }
  polis::Task<void> Chat(polis::Call& call, const ChatMsg& req) override { co_return; }
};

TEST(GeneratedCode, MethodConstantsComeFromTheProto) {
  static_assert(Rooms::kCreate.id == 2101);
  static_assert(!Rooms::kCreate.oneway);
  static_assert(Rooms::kChat.id == 2110);
  static_assert(Rooms::kChat.oneway);
  EXPECT_EQ(Rooms::kLeave.name, "Rooms.Leave");
}

TEST(GeneratedCode, BindToAddsEveryMethodById) {
  RoomsImpl impl;
  polis::rpc::HandlerTable table;
  impl.bindTo(table);
  EXPECT_EQ(table.size(), 3u);
  const polis::rpc::HandlerEntry* chat = table.find(2110);
  ASSERT_NE(chat, nullptr);
  EXPECT_EQ(chat->info.name, "Rooms.Chat");
  EXPECT_TRUE(chat->info.oneway);
  EXPECT_EQ(table.find(2103), nullptr);
}

TEST(GeneratedCode, StubWithoutChannelFailsUnavailable) {
  Rooms::Stub stub(nullptr);
  std::optional<polis::Result<RoomInfo>> got;
  stub.Create(CreateRoomReq{}, [&](polis::Result<RoomInfo> r) { got.emplace(std::move(r)); });
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().code, polis::Errc::kUnavailable);

  auto pending = stub.Create(CreateRoomReq{}, polis::rpc::CallOptions{.route_key = 42});
  ASSERT_TRUE(pending.await_ready());  // failed at once: nothing to wait for
  EXPECT_EQ(pending.await_resume().error().code, polis::Errc::kUnavailable);

  EXPECT_FALSE(stub.Chat(ChatMsg{}).ok());
}

}  // namespace
