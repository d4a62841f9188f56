// JSON text exactly as Python's json.dump() writes it with default settings (ensure_ascii, ", " and
// ": " separators, float repr), so tessera's .json output matches openai-whisper's byte for byte.
#pragma once

#include <string>
#include <string_view>

namespace tessera::text {

// Appends a JSON string literal; non-ASCII becomes \uXXXX (surrogate pairs above U+FFFF), invalid
// UTF-8 becomes \ufffd.
void append_python_json_string(std::string_view utf8, std::string& out);
// Appends Python's repr() of a float: shortest round-trip digits, "1.0", "0.0001", "1e-05",
// "1e+16"; NaN and infinities as json.dump writes them (NaN, Infinity, -Infinity).
void append_python_float(double value, std::string& out);

}  // namespace tessera::text
