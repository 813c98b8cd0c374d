// A single-pass recursive-descent reader that builds the nlohmann document directly. It
// accepts exactly what nlohmann's strict parser accepts (RFC 8259, an optional leading UTF-8
// BOM, RFC 3629 UTF-8 inside strings, paired \u surrogates) and types values the same way:
// a plain integer is unsigned when non-negative and signed when negative; one that does not
// fit 64 bits, or any number with a fraction or an exponent, becomes a string holding its
// original text — and, as nlohmann refuses a number whose double would be infinite, so does
// this reader, deciding that from the digits alone (no floating point).
#include "core/json_reader.hpp"

namespace tariff {
namespace {

using json_detail::ExactReader;

template <class json>
json parse_exact(std::string_view text) {
  json root;
  bool ok = false;
  try {
    ExactReader<json> reader(text.data(), text.data() + text.size());
    ok = reader.document(root);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) return json(json::value_t::discarded);
  return root;
}

}  // namespace

nlohmann::json parse_json_exact(std::string_view text) { return parse_exact<nlohmann::json>(text); }

nlohmann::ordered_json parse_ordered_json_exact(std::string_view text) {
  return parse_exact<nlohmann::ordered_json>(text);
}

}  // namespace tariff
