// Charge properties: parsing and Lago's validation (app/services/charges/validators/*.rb,
// ChargeModels::FilterProperties, ChargeModels::BuildDefaultPropertiesService).
//
// Only the fields of the charge's model are read (Lago slices the rest away). Null or empty
// properties take the model's defaults. Amounts are non-negative decimals, given as decimal
// strings ("0.0125", "1e3") or JSON numbers; counts (package_size, free_units,
// free_units_per_events) are JSON integers. Ranges: the first starts at 0 or 1, each next
// `from` is the previous `to` or `to + 1` (volume: `to + 1` only, Lago refuses adjacent
// volume ranges), every `to` is above its `from`, and only the last `to` is null.
// Deviation: Lago also lets a volume range start at `to + 2`, a gap where its lookup later
// fails; tariff refuses it.
#include <algorithm>
#include <set>

#include "charge_models/models.hpp"

namespace tariff {
namespace {

using json = nlohmann::json;

std::optional<Decimal> number_of(const json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return std::nullopt;
    return Decimal(v.get<int64_t>());
  }
  if (v.is_number_float()) return Decimal::parse_lenient(v.dump());
  if (v.is_string()) return Decimal::parse_lenient(v.get_ref<const std::string&>());
  return std::nullopt;
}

// Lago's DecimalAmountService#valid_amount?: a decimal ≥ 0.
std::optional<Decimal> amount_of(const json& v) {
  auto d = number_of(v);
  if (!d || d->is_negative()) return std::nullopt;
  return d;
}

// obj[key], or null when absent (no copy: a charge's ranges are read in place).
const json& field(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

// Ruby's present?: not nil/false, not an empty/blank string, not an empty array/object.
bool present(const json& v) {
  if (v.is_null() || (v.is_boolean() && !v.get<bool>())) return false;
  if (v.is_string())
    return v.get_ref<const std::string&>().find_first_not_of(" \t\r\n") != std::string::npos;
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

json defaults_for(ChargeModel model) {
  auto open_range = [](bool percentage) {
    json r = {{"from_value", 0}, {"to_value", nullptr}, {"flat_amount", "0"}};
    if (percentage) {
      r["rate"] = "0";
      r["fixed_amount"] = "0";
    } else {
      r["per_unit_amount"] = "0";
    }
    return r;
  };
  switch (model) {
    case ChargeModel::standard: return {{"amount", "0"}};
    case ChargeModel::graduated: return {{"graduated_ranges", json::array({open_range(false)})}};
    case ChargeModel::volume: return {{"volume_ranges", json::array({open_range(false)})}};
    case ChargeModel::graduated_percentage:
      return {{"graduated_percentage_ranges", json::array({open_range(true)})}};
    case ChargeModel::package: return {{"package_size", 1}, {"amount", "0"}, {"free_units", 0}};
    case ChargeModel::percentage: return {{"rate", "0"}};
    case ChargeModel::dynamic: return json::object();
  }
  return json::object();
}

class Parser {
 public:
  Parser(const json& props, const std::string& path, ErrorCollector& errors)
      : props_(props), path_(path), errors_(errors) {}

  void add(const std::string& fld, const char* code) { errors_.add(path_ + "." + fld, code); }

  Decimal amount(const json& v, const char* fld, const char* code) {
    auto d = amount_of(v);
    if (!d) add(fld, code);
    return d.value_or(Decimal());
  }

  // kind: "graduated_ranges" etc.; percentage = rate instead of per_unit_amount;
  // step = what the next `from` may add to the previous `to` besides 0 / 1.
  std::vector<ChargeRange> ranges(const char* kind, const char* missing_code,
                                  const char* invalid_code, bool percentage, bool volume) {
    std::vector<ChargeRange> out;
    const json& list = field(props_, kind);
    if (!present(list)) {
      add(kind, missing_code);
      return out;
    }
    if (!list.is_array()) {
      add(kind, invalid_code);
      return out;
    }
    Decimal next_from;  // 0 for the first range
    for (size_t i = 0; i < list.size(); ++i) {
      const json& item = list[i];
      ChargeRange r;
      if (!item.is_object()) {
        add(kind, invalid_code);
        continue;
      }
      if (percentage) {
        r.flat_amount = amount(field(item, "flat_amount"), "flat_amount", "invalid_amount");
        r.rate = amount(field(item, "rate"), "rate", "invalid_rate");
      } else {
        r.per_unit_amount =
            amount(field(item, "per_unit_amount"), "per_unit_amount", "invalid_amount");
        r.flat_amount = amount(field(item, "flat_amount"), "flat_amount", "invalid_amount");
      }
      const json& from_j = field(item, "from_value");
      const json& to_j = field(item, "to_value");
      auto from = number_of(from_j);
      std::optional<Decimal> to;
      bool valid = from.has_value();
      if (!to_j.is_null()) {
        to = number_of(to_j);
        valid = valid && to.has_value();
      }
      const bool last = i + 1 == list.size();
      if (valid) {
        // first: 0 or 1; graduated: prev to or to + 1; volume: prev to + 1 (see header)
        const bool from_ok = i == 0 ? (*from == next_from || *from == next_from + Decimal(1))
                                    : (volume ? *from == next_from + Decimal(1)
                                              : (*from == next_from || *from == next_from + Decimal(1)));
        const bool to_ok = last ? !to.has_value() : (to.has_value() && *to > *from);
        valid = from_ok && to_ok;
      }
      if (!valid) add(kind, invalid_code);
      if (from) r.from_value = *from;
      r.to_value = to;
      r.from_value_json = from_j.is_null() ? json(0) : from_j;
      r.to_value_json = to_j;
      next_from = to.value_or(Decimal());
      out.push_back(std::move(r));
    }
    return out;
  }

  void base(ChargeProperties& out) {
    // pricing_group_keys, or the deprecated grouped_by when pricing_group_keys is blank.
    // Lago's FilterProperties first drops empty strings and renames grouped_by, so errors
    // always name pricing_group_keys; an entry that is not a non-blank string is invalid.
    const json& pgk = field(props_, "pricing_group_keys");
    const json& gb = field(props_, "grouped_by");
    const json keys = present(pgk) ? pgk : (present(gb) ? gb : json());
    if (!keys.is_null()) {
      bool ok = keys.is_array();
      std::vector<std::string> kept;
      if (ok) {
        for (const json& k : keys) {
          if (k.is_string() && k.get_ref<const std::string&>().empty()) continue;  // dropped
          if (!k.is_string() || !present(k)) ok = false;
          else kept.push_back(k.get<std::string>());
        }
      }
      if (ok) out.pricing_group_keys = std::move(kept);
      else add("pricing_group_keys", "invalid_type");
    }

    const json& pres = field(props_, "presentation_group_keys");
    if (!present(pres)) return;
    bool ok = pres.is_array();
    std::vector<std::string> values;
    if (ok) {
      for (const json& k : pres) {
        if (!k.is_object()) { ok = false; continue; }
        bool item_ok = true;
        for (auto it = k.begin(); it != k.end(); ++it)
          if (it.key() != "value" && it.key() != "options") item_ok = false;
        const json& value = field(k, "value");
        const bool value_ok = value.is_string() && present(value);
        if (!value_ok) item_ok = false;
        else values.push_back(value.get<std::string>());
        if (k.contains("options")) {
          const json& opt = k.at("options");
          if (!opt.is_object() || opt.size() != 1 || !opt.contains("display_in_invoice") ||
              !opt.at("display_in_invoice").is_boolean())
            item_ok = false;
        }
        ok = ok && item_ok;
      }
    }
    if (!ok) add("presentation_group_keys", "invalid_type");
    if (pres.size() > 2) add("presentation_group_keys", "too_many_keys");
    if (std::set<std::string>(values.begin(), values.end()).size() != values.size())
      add("presentation_group_keys", "value_is_duplicated");
    out.presentation_group_keys = values;
  }

  const json& props_;
  const std::string& path_;
  ErrorCollector& errors_;
};

void parse_percentage(Parser& ps, const json& p, ChargeProperties& out) {
  out.rate = ps.amount(field(p, "rate"), "rate", "invalid_rate");

  const json& fixed = field(p, "fixed_amount");
  if (!fixed.is_null()) {
    out.fixed_amount = ps.amount(fixed, "fixed_amount", "invalid_fixed_amount");
    out.has_fixed_amount = true;
  }

  const json& per_events = field(p, "free_units_per_events");
  if (!per_events.is_null()) {
    if (per_events.is_number_integer() && !per_events.is_number_unsigned() &&
        per_events.get<int64_t>() > 0)
      out.free_units_per_events = per_events.get<int64_t>();
    else if (per_events.is_number_unsigned() && per_events.get<uint64_t>() > 0 &&
             per_events.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX))
      out.free_units_per_events = static_cast<int64_t>(per_events.get<uint64_t>());
    else
      ps.add("free_units_per_events", "invalid_free_units_per_events");
  }

  const json& per_total = field(p, "free_units_per_total_aggregation");
  if (!per_total.is_null())
    out.free_units_per_total_aggregation = ps.amount(
        per_total, "free_units_per_total_aggregation", "invalid_free_units_per_total_aggregation");

  // Premium: per-transaction min / max. Blank values count as absent, as in Lago.
  const json& min_j = field(p, "per_transaction_min_amount");
  const json& max_j = field(p, "per_transaction_max_amount");
  if (present(min_j)) {
    if (auto d = amount_of(min_j)) out.per_transaction_min_amount = d;
    else ps.add("per_transaction_min_amount", "invalid_amount");
  }
  if (present(max_j)) {
    if (auto d = amount_of(max_j)) out.per_transaction_max_amount = d;
    else ps.add("per_transaction_max_amount", "invalid_amount");
  }
  if (out.per_transaction_min_amount && out.per_transaction_max_amount &&
      *out.per_transaction_min_amount > *out.per_transaction_max_amount)
    ps.add("per_transaction_max_amount", "per_transaction_max_lower_than_per_transaction_min");
}

void parse_package(Parser& ps, const json& p, ChargeProperties& out) {
  out.amount = ps.amount(field(p, "amount"), "amount", "invalid_amount");
  // Both must be JSON integers (Lago: is_a?(Integer)); free_units ≥ 0, package_size > 0.
  auto integer = [](const json& v) -> std::optional<int64_t> {
    if (!v.is_number_integer()) return std::nullopt;
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return std::nullopt;
    return v.get<int64_t>();
  };
  const auto free = integer(field(p, "free_units"));
  if (free && *free >= 0) out.free_units = *free;
  else ps.add("free_units", "invalid_free_units");
  const auto size = integer(field(p, "package_size"));
  if (size && *size > 0) out.package_size = *size;
  else ps.add("package_size", "invalid_package_size");
}

}  // namespace

std::optional<ChargeModel> parse_charge_model(std::string_view name) {
  if (name == "standard") return ChargeModel::standard;
  if (name == "graduated") return ChargeModel::graduated;
  if (name == "graduated_percentage") return ChargeModel::graduated_percentage;
  if (name == "package") return ChargeModel::package;
  if (name == "percentage") return ChargeModel::percentage;
  if (name == "volume") return ChargeModel::volume;
  if (name == "dynamic") return ChargeModel::dynamic;
  return std::nullopt;
}

const char* charge_model_name(ChargeModel model) {
  switch (model) {
    case ChargeModel::standard: return "standard";
    case ChargeModel::graduated: return "graduated";
    case ChargeModel::graduated_percentage: return "graduated_percentage";
    case ChargeModel::package: return "package";
    case ChargeModel::percentage: return "percentage";
    case ChargeModel::volume: return "volume";
    case ChargeModel::dynamic: return "dynamic";
  }
  return "standard";
}

ChargeProperties parse_charge_properties(ChargeModel model, const nlohmann::json& properties,
                                         const std::string& path, ErrorCollector& errors) {
  ChargeProperties out;
  out.model = model;
  if (!properties.is_null() && !properties.is_object()) {
    errors.add(path, "invalid_type");
    return out;
  }
  // Lago: `params[:properties].presence || defaults` — null or {} take the defaults.
  const json props = present(properties) ? properties : defaults_for(model);
  Parser ps(props, path, errors);

  switch (model) {
    case ChargeModel::standard:
      out.amount = ps.amount(field(props, "amount"), "amount", "invalid_amount");
      break;
    case ChargeModel::graduated:
      out.graduated_ranges = ps.ranges("graduated_ranges", "missing_graduated_ranges",
                                       "invalid_graduated_ranges", false, false);
      break;
    case ChargeModel::graduated_percentage:
      out.graduated_percentage_ranges = ps.ranges(
          "graduated_percentage_ranges", "missing_graduated_percentage_ranges",
          "invalid_graduated_percentage_ranges", true, false);
      break;
    case ChargeModel::volume:
      out.volume_ranges = ps.ranges("volume_ranges", "missing_volume_ranges",
                                    "invalid_volume_ranges", false, true);
      std::stable_sort(out.volume_ranges.begin(), out.volume_ranges.end(),
                       [](const ChargeRange& a, const ChargeRange& b) {
                         return a.from_value < b.from_value;
                       });
      break;
    case ChargeModel::package:
      parse_package(ps, props, out);
      break;
    case ChargeModel::percentage:
      parse_percentage(ps, props, out);
      break;
    case ChargeModel::dynamic:
      break;
  }
  ps.base(out);
  return out;
}

void validate_charge_model_for_metric(ChargeModel model, AggregationKind aggregation,
                                      bool recurring, bool pay_in_advance, bool prorated,
                                      const std::string& charge_path, ErrorCollector& errors) {
  const bool weighted = aggregation == AggregationKind::weighted_sum;
  if (model == ChargeModel::dynamic && aggregation != AggregationKind::sum)
    errors.add(charge_path + ".charge_model", "invalid_aggregation_type_or_charge_model");
  if ((model == ChargeModel::percentage || model == ChargeModel::graduated_percentage) &&
      aggregation == AggregationKind::latest)
    errors.add(charge_path + ".billable_metric", "invalid_value");
  if (pay_in_advance) {
    const bool payable = aggregation == AggregationKind::count ||
                         aggregation == AggregationKind::sum ||
                         aggregation == AggregationKind::unique_count;
    if (model == ChargeModel::volume || !payable)
      errors.add(charge_path + ".pay_in_advance", "invalid_aggregation_type_or_charge_model");
  }
  if (prorated) {
    bool ok = false;
    if (!weighted && recurring) {
      ok = pay_in_advance ? model == ChargeModel::standard
                          : (model == ChargeModel::standard || model == ChargeModel::volume ||
                             model == ChargeModel::graduated);
    }
    if (!ok) errors.add(charge_path + ".prorated", "invalid_billable_metric_or_charge_model");
  }
}

}  // namespace tariff
