#pragma once
// Hexadecimal digits, both ways. Either case is read; lower case is written.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace scanscope {

// The value of one hex digit, or -1 for any other character.
int HexDigitValue(char c);

// Decodes pairs of hex digits into bytes. False (and `out` unspecified) on an
// odd length or a character that is not a hex digit.
bool DecodeHex(std::string_view hex, std::string* out);

// Decodes exactly out.size() bytes from 2 * out.size() hex digits.
bool DecodeHex(std::string_view hex, std::span<uint8_t> out);

// 1 to 8 hex digits into a 32-bit value (no prefix, no sign).
bool ParseHex32(std::string_view s, uint32_t* v);

// Lower-case hex of `bytes`.
std::string EncodeHex(std::span<const uint8_t> bytes);
std::string EncodeHex(std::string_view bytes);

}  // namespace scanscope
