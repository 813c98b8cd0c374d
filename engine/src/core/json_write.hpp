// The engine's output writer: an ordered_json tree to text, byte for byte what nlohmann's
// `dump()` gives with its defaults (no indent, ensure_ascii off, strict UTF-8), only cheaper.
// Keys keep the tree's order; strings escape '"', '\\' and the control characters U+0000..
// U+001F as nlohmann does (\b \t \n \f \r, else \u00xx in lower-case hex) and copy every other
// code point, non-ASCII included, unchanged; integers print in decimal; floats through
// nlohmann's own shortest round-trip printer (non-finite ones as null). A string that is not
// valid UTF-8 throws nlohmann's type_error 316, the same message `dump()` throws. Binary and
// discarded values, which no operation produces, are left to `dump()`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tariff {

void write_json(const nlohmann::ordered_json& value, std::string& out);  // appends to out
std::string write_json(const nlohmann::ordered_json& value);

}  // namespace tariff
