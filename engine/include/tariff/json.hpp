// Exact JSON reading, for the engine and every surface that stores or forwards JSON.
//
// nlohmann::json stores a number with a fraction or an exponent as a double; billing input
// must never pass through binary floating point. This reader keeps integers as integers and
// turns every other number into a string holding its original text ("12.66", "1e3"), which
// Decimal then reads exactly — so a document read here and dumped again keeps every digit
// (a fractional number comes back as a string of the same text). It also bounds nesting
// depth so a hostile document cannot exhaust the stack (parsing, destroying or dumping).
// Anything malformed or nested deeper than kMaxJsonDepth yields a discarded value.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tariff {

constexpr int kMaxJsonDepth = 64;

// Returns a discarded json (is_discarded()) on malformed text or excessive depth.
nlohmann::json parse_json_exact(std::string_view text);
// The same, keeping the document's key order (for documents stored and served back).
nlohmann::ordered_json parse_ordered_json_exact(std::string_view text);

// Appends `s` as a JSON string, quoted and escaped byte for byte as nlohmann's dump() writes it
// (the engine's own writer): for documents written as text without a tree.
void append_json_string(std::string& out, std::string_view s);

}  // namespace tariff
