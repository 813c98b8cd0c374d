#include "snapshot/event_value.hpp"

namespace tariff {

bool numeric_text(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == int_start) return false;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  const size_t frac_start = ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i > frac_start && i == s.size();
}

bool needs_value(Aggregation a) {
  return a == Aggregation::sum_agg || a == Aggregation::max_agg || a == Aggregation::latest_agg ||
         a == Aggregation::weighted_sum_agg;
}

std::optional<std::string_view> property_view(const PropertyList& properties, std::string_view key) {
  const Property* p = properties.find(key);
  std::string_view t;
  if (!p || !p->scalar_text(t)) return std::nullopt;
  return t;
}

std::optional<std::string_view> event_property_view(const Event& e, const std::string& key, std::string& scratch) {
  const expr::StoredResult& r = e.expression_result();
  if (r.holds(key)) return r.is_number() ? std::string_view(scratch = expr::detail::ruby_text(r.value)) : r.text_view();
  return property_view(e.properties, key);
}

int parse_event_value(const Event& e, const std::string& field, Decimal& out) {
  // An expression's number: what its text (ruby_text, always numeric) parses back to.
  if (e.expression_result().holds(field) && e.expression_result().is_number()) {
    out = e.expression_result().value;
    return 1;
  }
  std::string scratch;
  auto t = event_property_view(e, field, scratch);
  if (!t || !numeric_text(*t)) return 0;
  auto v = t->size() <= 60 ? Decimal::parse(*t) : std::nullopt;
  if (!v) return 2;
  out = *v;
  return 1;
}

}  // namespace tariff
