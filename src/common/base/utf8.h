// UTF-8 checks for text that comes from peers (names, log messages).
#pragma once

#include <cstddef>
#include <string_view>

namespace polis {

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0
// if it is invalid (overlong forms, surrogates and code points above
// U+10FFFF included).
size_t utf8SequenceLength(std::string_view s, size_t i);

// True when all of `s` is valid UTF-8.
bool validUtf8(std::string_view s);

}  // namespace polis
