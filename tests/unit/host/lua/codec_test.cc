// Tables <-> messages: every field kind round-trips, and bad tables are
// refused with the path of the field in the message.
#include <google/protobuf/dynamic_message.h>
#include <gtest/gtest.h>

#include <lua.hpp>

#include "host/lua/descriptors.h"
#include "host/lua/lua_vm.h"
#include "host/lua/proto_codec.h"

namespace polis::lua {
namespace {

namespace gp = google::protobuf;

class Codec : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = Descriptors::load(CODEC_TEST_DESCRIPTORS);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    descriptors = std::move(*loaded);
    L = vm.state();
    luaL_openlibs(L);  // the test's own state: the full library, to write checks in Lua
    type = descriptors->pool().FindMessageTypeByName("codectest.Everything");
    ASSERT_NE(type, nullptr);
  }
  // Evaluates `expr` and encodes the table it returns: the message's text, or the error.
  std::string encode(const std::string& expr) {
    EXPECT_EQ(luaL_dostring(L, ("return " + expr).c_str()), LUA_OK) << lua_tostring(L, -1);
    gp::Message& m = descriptors->scratch(type);
    std::string error;
    bool ok = tableToMessage(L, -1, *descriptors, m, error);
    lua_settop(L, 0);
    bytes = m.SerializeAsString();
    return ok ? m.ShortDebugString() : "error: " + error;
  }
  // Decodes `m` into the global `decoded` (under protection, as the host does).
  void decode(const gp::Message& m) {
    struct Job {
      const gp::Message* m;
      std::string* scratch;
    } job{&m, &scratch};
    int status = LuaVm::protect(L, [](lua_State* L) {
      auto* j = static_cast<Job*>(lua_touserdata(L, 1));
      pushMessage(L, *j->m, j->scratch);
      lua_setglobal(L, "decoded");
      return 0;
    }, &job, 0);
    ASSERT_EQ(status, LUA_OK);
  }
  std::string eval(const std::string& expr) {
    EXPECT_EQ(luaL_dostring(L, ("return tostring(" + expr + ")").c_str()), LUA_OK) << lua_tostring(L, -1);
    std::string out = lua_tostring(L, -1);
    lua_settop(L, 0);
    return out;
  }

  LuaVm vm{Limits{}};
  lua_State* L = nullptr;
  std::unique_ptr<Descriptors> descriptors;
  const gp::Descriptor* type = nullptr;
  std::string scratch;
  std::string bytes;  // of the last message encode() made
};

const char kFull[] = R"({
  i32 = -2147483648, s32 = -5, sf32 = 7, u32 = 4294967295, f32 = 9,
  i64 = math.mininteger, s64 = -6, sf64 = 8, u64 = -1, f64 = 10,
  fl = 1.5, db = 2.25, flag = true, text = "héllo", blob = "\0\1\255",
  color = "GREEN", inner = {name = "in", marks = {1, 2, 3}},
  tags = {"a", "b"}, inners = {{name = "x"}, {name = "y", marks = {4}}},
  counts = {k = 1}, by_id = {[42] = {name = "answer"}},
  word = "w", maybe = 0, colors = {"RED", 2, 7},
})";

TEST_F(Codec, EveryFieldKindRoundTrips) {
  std::string text = encode(kFull);
  ASSERT_FALSE(text.starts_with("error")) << text;
  EXPECT_NE(text.find("u64: 18446744073709551615"), std::string::npos) << "-1 is uint64's 2^64-1: " << text;
  EXPECT_NE(text.find("colors: RED colors: GREEN colors: 7"), std::string::npos) << text;
  // Through bytes, as on the wire, and back into a table.
  gp::DynamicMessageFactory factory;
  std::unique_ptr<gp::Message> parsed(factory.GetPrototype(type)->New());
  ASSERT_TRUE(parsed->ParseFromString(bytes));
  decode(*parsed);
  ASSERT_EQ(luaL_dostring(L, (R"(
    local function same(a, b)
      if type(a) ~= type(b) then return false end
      if type(a) ~= "table" then return a == b end
      for k, v in pairs(a) do if not same(v, b[k]) then return false, k end end
      for k in pairs(b) do if a[k] == nil then return false, k end end
      return true
    end
    expected = )" + std::string(kFull) + R"(
    expected.colors = {"RED", "GREEN", 7}    -- numbers with a name read back as the name
    expected.inners[1].marks = {}            -- repeated fields always read as tables
    expected.by_id[42].marks = {}
    ok, where = same(expected, decoded)
  )").c_str()), LUA_OK) << lua_tostring(L, -1);
  EXPECT_EQ(eval("ok"), "true") << "differs at " << eval("where");
  EXPECT_EQ(eval("math.type(decoded.u64) .. ' ' .. decoded.u64"), "integer -1");
}

TEST_F(Codec, AbsentFieldsDecodeAsProtoDefaults) {
  decode(descriptors->scratch(type));
  EXPECT_EQ(eval("decoded.i32 .. decoded.text .. tostring(decoded.flag) .. decoded.color"), "0falseCOLOR_UNSPECIFIED");
  EXPECT_EQ(eval("#decoded.tags .. type(decoded.counts) .. tostring(decoded.inner) .. tostring(decoded.word)"),
            "0tablenilnil");
  EXPECT_EQ(eval("tostring(decoded.maybe)"), "nil") << "an optional field keeps its presence";
}

TEST_F(Codec, BadTablesAreRefusedNamingTheFieldPath) {
  EXPECT_EQ(encode("{nmae = 1}"), "error: codectest.Everything.nmae: no such field in codectest.Everything");
  EXPECT_EQ(encode("{inners = {{name = 5}}}"), "error: codectest.Everything.inners[1].name: expected a string, got integer");
  EXPECT_EQ(encode("{i32 = 2147483648}"), "error: codectest.Everything.i32: 2147483648 is out of range");
  EXPECT_EQ(encode("{u32 = -1}"), "error: codectest.Everything.u32: -1 is out of range");
  EXPECT_EQ(encode("{i64 = 1.5}"), "error: codectest.Everything.i64: expected an integer, got 1.500000");
  EXPECT_EQ(encode("{flag = 1}"), "error: codectest.Everything.flag: expected a boolean, got integer");
  EXPECT_EQ(encode("{color = 'BLUE'}"), "error: codectest.Everything.color: \"BLUE\" is not a value of codectest.Color");
  EXPECT_EQ(encode("{tags = {'a', nil, 'c'}}").substr(0, 45), "error: codectest.Everything.tags: expected a ");
  EXPECT_EQ(encode("{tags = {x = 'a'}}"), "error: codectest.Everything.tags: expected a list with keys 1..n and no holes");
  EXPECT_NE(encode("{word = 'w', number = 1}").find("both belong to oneof choice"), std::string::npos)
      << encode("{word = 'w', number = 1}");
  EXPECT_EQ(encode("{counts = {k = 'x'}}"), "error: codectest.Everything.counts[\"k\"]: expected an integer, got string");
  EXPECT_EQ(encode("{by_id = {k = {}}}"), "error: codectest.Everything.by_id: expected an integer, got string");
  EXPECT_EQ(encode("{text = '\\255'}"), "error: codectest.Everything.text: not valid UTF-8 (use a bytes field for binary data)");
  EXPECT_EQ(encode("{[1] = 2}"), "error: codectest.Everything: a number key: a message is a table of field names");
  std::string loop = encode("(function() local t = {} t.child = t return {tree = t} end)()");
  EXPECT_NE(loop.find(": nested deeper than 64 tables"), std::string::npos) << "a table that contains itself: " << loop;
  EXPECT_EQ(encode("{i64 = 3.0, db = 1, colors = {0}}"), "i64: 3 db: 1 colors: COLOR_UNSPECIFIED");
}

}  // namespace
}  // namespace polis::lua
