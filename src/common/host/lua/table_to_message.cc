// Lua table -> message. Uses only the Lua API functions that never raise
// (lua_next over tables we do not change, lua_rawlen, lua_rawgeti, lua_to*
// on values of the right type, lua_checkstack), so C++ objects are safe here.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <lua.hpp>

#include <cmath>
#include <limits>

#include "base/utf8.h"
#include "host/lua/descriptors.h"
#include "host/lua/proto_codec.h"

namespace polis::lua {
namespace {

namespace gp = google::protobuf;
using FD = gp::FieldDescriptor;

constexpr int kMaxDepth = 64;

std::string typeOf(lua_State* L, int index) {
  if (lua_type(L, index) == LUA_TNUMBER) return lua_isinteger(L, index) ? "integer" : "number";
  return lua_typename(L, lua_type(L, index));
}

class Encoder {
 public:
  Encoder(lua_State* L, const Descriptors& descriptors, std::string& error)
      : L_(L), descriptors_(descriptors), error_(error) {}

  bool message(int index, gp::Message& out, int depth);

 private:
  bool fail(const std::string& what) {
    error_ = path_ + ": " + what;
    return false;
  }
  // `r` is out's reflection, looked up once per message (each lookup costs).
  bool field(int index, gp::Message& out, const gp::Reflection* r, const FD* field, int depth);
  bool repeated(int index, gp::Message& out, const gp::Reflection* r, const FD* field, int depth);
  bool map(int index, gp::Message& out, const gp::Reflection* r, const FD* field, int depth);
  // The value at `index` into field `f` of `out` (a singular set or, with
  // `add`, one more element of a repeated field).
  bool value(int index, gp::Message& out, const gp::Reflection* r, const FD* f, bool add, int depth);
  bool integer(int index, int64_t min, int64_t max, int64_t& out);

  lua_State* L_;
  const Descriptors& descriptors_;
  std::string& error_;
  std::string path_;
};

bool Encoder::message(int index, gp::Message& out, int depth) {
  if (path_.empty()) path_ = out.GetDescriptor()->full_name();
  if (depth > kMaxDepth) return fail("nested deeper than " + std::to_string(kMaxDepth) + " tables");
  if (lua_type(L_, index) != LUA_TTABLE) return fail("expected a table, got " + typeOf(L_, index));
  if (!lua_checkstack(L_, 4)) return fail("nested too deep for the Lua stack");
  index = lua_absindex(L_, index);
  const gp::Descriptor* type = out.GetDescriptor();
  const gp::Reflection* r = out.GetReflection();
  lua_pushnil(L_);
  while (lua_next(L_, index) != 0) {
    if (lua_type(L_, -2) != LUA_TSTRING) {
      std::string key = lua_type(L_, -2) == LUA_TNUMBER ? "a number key" : "a " + typeOf(L_, -2) + " key";
      lua_pop(L_, 2);
      return fail(key + ": a message is a table of field names");
    }
    size_t len = 0;
    const char* name = lua_tolstring(L_, -2, &len);
    const FD* f = descriptors_.field(type, std::string_view(name, len));
    size_t mark = path_.size();
    path_ += ".";
    path_.append(name, len);
    if (!f) {
      lua_pop(L_, 2);
      return fail("no such field in " + type->full_name());
    }
    if (!field(lua_gettop(L_), out, r, f, depth)) {
      lua_pop(L_, 2);
      return false;
    }
    path_.resize(mark);
    lua_pop(L_, 1);
  }
  return true;
}

bool Encoder::field(int index, gp::Message& out, const gp::Reflection* r, const FD* f, int depth) {
  if (const gp::OneofDescriptor* oneof = f->containing_oneof()) {
    if (const FD* other = r->GetOneofFieldDescriptor(out, oneof); other && other != f) {
      return fail("set together with " + other->name() + ", but both belong to oneof " + oneof->name());
    }
  }
  if (f->is_map()) return map(index, out, r, f, depth);
  if (f->is_repeated()) return repeated(index, out, r, f, depth);
  return value(index, out, r, f, false, depth);
}

bool Encoder::repeated(int index, gp::Message& out, const gp::Reflection* r, const FD* f, int depth) {
  if (lua_type(L_, index) != LUA_TTABLE) return fail("expected a list (a table), got " + typeOf(L_, index));
  auto n = static_cast<lua_Integer>(lua_rawlen(L_, index));
  lua_Integer keys = 0;
  lua_pushnil(L_);
  while (lua_next(L_, index) != 0) {
    ++keys;
    bool in_list = lua_isinteger(L_, -2) && lua_tointeger(L_, -2) >= 1 && lua_tointeger(L_, -2) <= n;
    lua_pop(L_, 1);
    if (!in_list) {
      lua_pop(L_, 1);
      return fail("expected a list with keys 1..n and no holes");
    }
  }
  if (keys != n) return fail("expected a list with keys 1..n and no holes");
  size_t mark = path_.size();
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L_, index, i);
    path_ += "[" + std::to_string(i) + "]";
    if (!value(lua_gettop(L_), out, r, f, true, depth)) {
      lua_pop(L_, 1);
      return false;
    }
    path_.resize(mark);
    lua_pop(L_, 1);
  }
  return true;
}

bool Encoder::map(int index, gp::Message& out, const gp::Reflection* r, const FD* f, int depth) {
  if (lua_type(L_, index) != LUA_TTABLE) return fail("expected a map (a table), got " + typeOf(L_, index));
  const FD* key_field = f->message_type()->map_key();
  const FD* value_field = f->message_type()->map_value();
  size_t mark = path_.size();
  lua_pushnil(L_);
  while (lua_next(L_, index) != 0) {
    gp::Message* entry = r->AddMessage(&out, f);
    const gp::Reflection* entry_r = entry->GetReflection();
    int key = lua_gettop(L_) - 1;
    bool ok = key_field->cpp_type() == FD::CPPTYPE_STRING && lua_type(L_, key) != LUA_TSTRING
                  ? fail("a " + typeOf(L_, key) + " key: this map's keys are strings")
                  : value(key, *entry, entry_r, key_field, false, depth);
    if (ok) {
      if (lua_type(L_, key) == LUA_TSTRING) {
        path_ += "[\"" + std::string(lua_tostring(L_, key)) + "\"]";
      } else {
        path_ += "[" + typeOf(L_, key) + "]";
      }
      ok = value(lua_gettop(L_), *entry, entry_r, value_field, false, depth);
    }
    if (!ok) {
      lua_pop(L_, 2);
      return false;
    }
    path_.resize(mark);
    lua_pop(L_, 1);
  }
  return true;
}

bool Encoder::integer(int index, int64_t min, int64_t max, int64_t& out) {
  if (lua_type(L_, index) != LUA_TNUMBER) return fail("expected an integer, got " + typeOf(L_, index));
  int exact = 0;
  lua_Integer v = lua_tointegerx(L_, index, &exact);  // floats with an integral value convert
  if (!exact) return fail("expected an integer, got " + std::to_string(lua_tonumber(L_, index)));
  if (v < min || v > max) return fail(std::to_string(v) + " is out of range");
  out = v;
  return true;
}

bool Encoder::value(int index, gp::Message& out, const gp::Reflection* r, const FD* f, bool add, int depth) {
  using L64 = std::numeric_limits<int64_t>;
  int64_t i = 0;
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32:
      if (!integer(index, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), i)) return false;
      add ? r->AddInt32(&out, f, static_cast<int32_t>(i)) : r->SetInt32(&out, f, static_cast<int32_t>(i));
      return true;
    case FD::CPPTYPE_UINT32:
      if (!integer(index, 0, std::numeric_limits<uint32_t>::max(), i)) return false;
      add ? r->AddUInt32(&out, f, static_cast<uint32_t>(i)) : r->SetUInt32(&out, f, static_cast<uint32_t>(i));
      return true;
    case FD::CPPTYPE_INT64:
      if (!integer(index, L64::min(), L64::max(), i)) return false;
      add ? r->AddInt64(&out, f, i) : r->SetInt64(&out, f, i);
      return true;
    case FD::CPPTYPE_UINT64:  // the same 64 bits (docs/lua.md)
      if (!integer(index, L64::min(), L64::max(), i)) return false;
      add ? r->AddUInt64(&out, f, static_cast<uint64_t>(i)) : r->SetUInt64(&out, f, static_cast<uint64_t>(i));
      return true;
    case FD::CPPTYPE_DOUBLE:
    case FD::CPPTYPE_FLOAT: {
      if (lua_type(L_, index) != LUA_TNUMBER) return fail("expected a number, got " + typeOf(L_, index));
      double d = lua_tonumber(L_, index);
      if (f->cpp_type() == FD::CPPTYPE_DOUBLE) {
        add ? r->AddDouble(&out, f, d) : r->SetDouble(&out, f, d);
      } else {
        add ? r->AddFloat(&out, f, static_cast<float>(d)) : r->SetFloat(&out, f, static_cast<float>(d));
      }
      return true;
    }
    case FD::CPPTYPE_BOOL: {
      if (lua_type(L_, index) != LUA_TBOOLEAN) return fail("expected a boolean, got " + typeOf(L_, index));
      bool b = lua_toboolean(L_, index) != 0;
      add ? r->AddBool(&out, f, b) : r->SetBool(&out, f, b);
      return true;
    }
    case FD::CPPTYPE_STRING: {
      if (lua_type(L_, index) != LUA_TSTRING) return fail("expected a string, got " + typeOf(L_, index));
      size_t len = 0;
      const char* s = lua_tolstring(L_, index, &len);
      std::string text(s, len);
      bool utf8 = f->type() == FD::TYPE_STRING && f->file()->syntax() == gp::FileDescriptor::SYNTAX_PROTO3;
      if (utf8 && !validUtf8(text)) return fail("not valid UTF-8 (use a bytes field for binary data)");
      add ? r->AddString(&out, f, std::move(text)) : r->SetString(&out, f, std::move(text));
      return true;
    }
    case FD::CPPTYPE_ENUM: {
      const gp::EnumDescriptor* e = f->enum_type();
      int number = 0;
      if (lua_type(L_, index) == LUA_TSTRING) {
        const gp::EnumValueDescriptor* v = e->FindValueByName(lua_tostring(L_, index));
        if (!v) return fail("\"" + std::string(lua_tostring(L_, index)) + "\" is not a value of " + e->full_name());
        number = v->number();
      } else {
        if (!integer(index, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), i)) {
          return fail("expected a name of " + e->full_name() + " or a number, got " + typeOf(L_, index));
        }
        number = static_cast<int>(i);
        if (e->file()->syntax() == gp::FileDescriptor::SYNTAX_PROTO2 && !e->FindValueByNumber(number)) {
          return fail(std::to_string(number) + " is not a value of " + e->full_name());
        }
      }
      add ? r->AddEnumValue(&out, f, number) : r->SetEnumValue(&out, f, number);
      return true;
    }
    case FD::CPPTYPE_MESSAGE: {
      gp::Message* child = add ? r->AddMessage(&out, f) : r->MutableMessage(&out, f);
      return message(index, *child, depth + 1);
    }
  }
  return fail("unsupported field type");
}

}  // namespace

bool tableToMessage(lua_State* L, int index, const Descriptors& descriptors, gp::Message& out, std::string& error) {
  out.Clear();
  Encoder encoder(L, descriptors, error);
  return encoder.message(index, out, 0);
}

}  // namespace polis::lua
