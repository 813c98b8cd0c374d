// Exact JSON reading. nlohmann::json stores a number with a fraction or an exponent as a
// double; billing input must never pass through binary floating point. This reader keeps
// integers as integers and turns every other number into a string holding its original
// text ("12.66", "1e3"), which Decimal then reads exactly. It also bounds nesting depth so a
// hostile document cannot exhaust the stack. Anything malformed yields a discarded value.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace tariff {

constexpr int kMaxJsonDepth = 64;

// Returns a discarded json (is_discarded()) on malformed text or excessive depth.
nlohmann::json parse_json_exact(std::string_view text);

}  // namespace tariff
