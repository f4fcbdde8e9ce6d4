// Message -> Lua table. Every push can raise a memory error (a longjmp), so
// the functions here hold only pointers and numbers: nothing with a
// destructor that a longjmp could skip. Strings are read by reference
// (GetStringReference with caller-owned scratch), never copied into locals.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <lua.hpp>

#include "host/lua/proto_codec.h"

namespace polis::lua {
namespace {

namespace gp = google::protobuf;
using FD = gp::FieldDescriptor;

void pushString(lua_State* L, const std::string& s) { lua_pushlstring(L, s.data(), s.size()); }

void pushEnum(lua_State* L, const FD* f, int number) {
  const gp::EnumValueDescriptor* v = f->enum_type()->FindValueByNumber(number);
  if (v) {
    pushString(L, v->name());
  } else {
    lua_pushinteger(L, number);  // an open enum's value this build does not know
  }
}

// `r` is m's reflection, looked up once per message (each lookup costs).
void pushSingular(lua_State* L, const gp::Message& m, const gp::Reflection* r, const FD* f, std::string* scratch) {
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32: lua_pushinteger(L, r->GetInt32(m, f)); return;
    case FD::CPPTYPE_UINT32: lua_pushinteger(L, r->GetUInt32(m, f)); return;
    case FD::CPPTYPE_INT64: lua_pushinteger(L, r->GetInt64(m, f)); return;
    case FD::CPPTYPE_UINT64: lua_pushinteger(L, static_cast<lua_Integer>(r->GetUInt64(m, f))); return;
    case FD::CPPTYPE_DOUBLE: lua_pushnumber(L, r->GetDouble(m, f)); return;
    case FD::CPPTYPE_FLOAT: lua_pushnumber(L, r->GetFloat(m, f)); return;
    case FD::CPPTYPE_BOOL: lua_pushboolean(L, r->GetBool(m, f)); return;
    case FD::CPPTYPE_STRING: pushString(L, r->GetStringReference(m, f, scratch)); return;
    case FD::CPPTYPE_ENUM: pushEnum(L, f, r->GetEnumValue(m, f)); return;
    case FD::CPPTYPE_MESSAGE: pushMessage(L, r->GetMessage(m, f), scratch); return;
  }
}

void pushElement(lua_State* L, const gp::Message& m, const gp::Reflection* r, const FD* f, int i,
                 std::string* scratch) {
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32: lua_pushinteger(L, r->GetRepeatedInt32(m, f, i)); return;
    case FD::CPPTYPE_UINT32: lua_pushinteger(L, r->GetRepeatedUInt32(m, f, i)); return;
    case FD::CPPTYPE_INT64: lua_pushinteger(L, r->GetRepeatedInt64(m, f, i)); return;
    case FD::CPPTYPE_UINT64: lua_pushinteger(L, static_cast<lua_Integer>(r->GetRepeatedUInt64(m, f, i))); return;
    case FD::CPPTYPE_DOUBLE: lua_pushnumber(L, r->GetRepeatedDouble(m, f, i)); return;
    case FD::CPPTYPE_FLOAT: lua_pushnumber(L, r->GetRepeatedFloat(m, f, i)); return;
    case FD::CPPTYPE_BOOL: lua_pushboolean(L, r->GetRepeatedBool(m, f, i)); return;
    case FD::CPPTYPE_STRING: pushString(L, r->GetRepeatedStringReference(m, f, i, scratch)); return;
    case FD::CPPTYPE_ENUM: pushEnum(L, f, r->GetRepeatedEnumValue(m, f, i)); return;
    case FD::CPPTYPE_MESSAGE: pushMessage(L, r->GetRepeatedMessage(m, f, i), scratch); return;
  }
}

// A map field reads as its entries (reflection's repeated view of a map).
void pushMap(lua_State* L, const gp::Message& m, const gp::Reflection* r, const FD* f, std::string* scratch) {
  int n = r->FieldSize(m, f);
  lua_createtable(L, 0, n);
  const FD* key = f->message_type()->map_key();
  const FD* value = f->message_type()->map_value();
  for (int i = 0; i < n; ++i) {
    const gp::Message& entry = r->GetRepeatedMessage(m, f, i);
    const gp::Reflection* entry_r = entry.GetReflection();
    pushSingular(L, entry, entry_r, key, scratch);
    pushSingular(L, entry, entry_r, value, scratch);
    lua_rawset(L, -3);
  }
}

}  // namespace

void pushMessage(lua_State* L, const gp::Message& message, std::string* scratch) {
  luaL_checkstack(L, 4, "message nested too deep");
  const gp::Descriptor* type = message.GetDescriptor();
  const gp::Reflection* r = message.GetReflection();
  lua_createtable(L, 0, type->field_count());
  for (int i = 0; i < type->field_count(); ++i) {
    const FD* f = type->field(i);
    if (f->is_map()) {
      pushMap(L, message, r, f, scratch);
    } else if (f->is_repeated()) {
      int n = r->FieldSize(message, f);
      lua_createtable(L, n, 0);
      for (int k = 0; k < n; ++k) {
        pushElement(L, message, r, f, k, scratch);
        lua_rawseti(L, -2, k + 1);
      }
    } else if (f->has_presence() && !r->HasField(message, f)) {
      continue;  // an absent message, oneof member or optional field reads as nil
    } else {
      pushSingular(L, message, r, f, scratch);
    }
    lua_setfield(L, -2, f->name().c_str());
  }
}

}  // namespace polis::lua
