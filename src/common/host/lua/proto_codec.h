// Messages <-> Lua tables, through protobuf reflection over the descriptor
// set (no hand-written codec). Field names are the .proto's. The mapping
// (docs/lua.md has the table):
//   int32/sint32/sfixed32/uint32/fixed32, int64/sint64/sfixed64  Lua integers (range-checked);
//   uint64/fixed64  Lua integers with the same 64 bits: values above 2^63-1
//                   read as negative (compare them with math.ult);
//   float/double    numbers; bool  booleans; string  UTF-8 strings; bytes  strings;
//   enum            the value's name (numbers accepted; an unknown number of an
//                   open enum reads as that number);
//   message         a table (absent: nil); repeated  a list (always a table);
//   map             a table by key (always a table); oneof  only the set member.
// Decoding fills every scalar field, absent ones with their default, as C++
// getters would. Encoding refuses an unknown key, a wrong type, an out-of-range
// number, a list with holes or two members of one oneof with an error naming
// the field path ("game.Sign.name: expected a string, got number").
#pragma once

#include <string>

struct lua_State;

namespace google::protobuf {
class Message;
}

namespace polis::lua {

class Descriptors;

// Fills `out` (cleared first) from the table at `index`. Never raises; on
// failure returns false with the reason in `error`. `descriptors` finds
// fields by name.
bool tableToMessage(lua_State* L, int index, const Descriptors& descriptors, google::protobuf::Message& out,
                    std::string& error);

// Pushes the message as a new table. Raises on memory errors only: call it
// inside a protected call or a running coroutine. `scratch` is storage
// reflection may need for strings; it lives outside the protected call so
// nothing here has a destructor to skip.
void pushMessage(lua_State* L, const google::protobuf::Message& message, std::string* scratch);

}  // namespace polis::lua
