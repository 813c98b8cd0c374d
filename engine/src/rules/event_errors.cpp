// Events that cannot be priced, as Lago's Events::PostValidationService finds them (its
// last_hour_events_mv view): an event whose code names no billable metric (invalid_code); one
// whose metric aggregates a property the event lacks, or needs a number the property is not
// (missing_aggregation_property: every aggregation but count needs its field; sum, max,
// weighted_sum and latest need it to read as -?\d+(\.\d+)?); one that carries a filter key of
// its metric with a value the filter does not list (invalid_filter_values). Values compare as
// Lago's `properties ->> key` text. A metric computed by an expression sets its field itself
// (Lago's Events::CalculateExpressionService), so its field is not asked of the event.
#include <algorithm>
#include <cctype>

#include "tariff/rules.hpp"

namespace tariff::rules {
namespace {

using json = nlohmann::json;

// PostgreSQL's `->>`: a string as itself, null as nothing, anything else as its JSON text.
std::optional<std::string> text_of(const json& properties, const std::string& key) {
  if (!properties.is_object()) return std::nullopt;
  auto it = properties.find(key);
  if (it == properties.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string string_field(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Lago's numeric test, the regular expression ^-?\d+(\.\d+)?$.
bool numeric_text(const std::string& s) {
  size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    return i > from;
  };
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

void add_once(std::vector<std::string>& list, const std::string& id) {
  if (std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
}

}  // namespace

EventErrors event_errors(const nlohmann::json& events, const nlohmann::json& billable_metrics) {
  EventErrors out;
  if (!events.is_array()) return out;
  for (const json& e : events) {
    if (!e.is_object()) continue;
    const std::string id = string_field(e, "transaction_id");
    const std::string code = string_field(e, "code");
    const json props = e.contains("properties") ? e["properties"] : json::object();
    bool known = false;
    for (const json& m : billable_metrics.is_array() ? billable_metrics : json::array()) {
      if (!m.is_object() || string_field(m, "code") != code) continue;
      known = true;
      const std::string agg = string_field(m, "aggregation_type");
      const std::string field = string_field(m, "field_name");
      if (agg != "count_agg" && !field.empty() && string_field(m, "expression").empty()) {
        const auto v = text_of(props, field);
        const bool numeric = agg == "sum_agg" || agg == "max_agg" || agg == "weighted_sum_agg" || agg == "latest_agg";
        if (!v || (numeric && !numeric_text(*v))) add_once(out.missing_aggregation_property, id);
      }
      auto filters = m.find("filters");
      if (filters == m.end() || !filters->is_array()) continue;
      for (const json& f : *filters) {
        if (!f.is_object()) continue;
        const auto v = text_of(props, string_field(f, "key"));
        if (!v) continue;
        bool listed = false;
        if (auto values = f.find("values"); values != f.end() && values->is_array())
          for (const json& allowed : *values) listed |= allowed.is_string() ? allowed.get<std::string>() == *v : allowed.dump() == *v;
        if (!listed) add_once(out.invalid_filter_values, id);
      }
    }
    if (!known) add_once(out.invalid_code, id);
  }
  return out;
}

}  // namespace tariff::rules
