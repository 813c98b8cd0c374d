// Charge models: Lago's pricing functions, pure and exact.
//
// A charge turns aggregated usage (units, events, per-event values) into an amount in major
// units, unrounded, plus Lago's `amount_details` document. One function per model lives in
// engine/src/charge_models/<model>.cpp, named as Lago's API names the model:
//   standard              units × amount
//   graduated             tiers, each billed at its own price, first flat always due
//   graduated_percentage  tiers of a rate (%) plus flats
//   package               ceil((units − free) / size) × amount
//   percentage            rate (%) of units past the free allowance, + fixed fee per paying
//                         event, optionally clamped per transaction (min/max)
//   volume                all units at the price of the one range that holds them
//   dynamic               Σ precise_total_amount_cents of the events / subunit
// Prorated charges (recurring metrics): standard and volume scale by prorated units;
// graduated becomes Lago's prorated graduated walk over (full, prorated) event pairs.
//
// Invariants and limits:
// - No rounding happens here: amounts are exact decimals; the fee code rounds to the
//   currency. Unit rounding (§2.8), pricing units (§3.12) and the per-charge minimum (§7.2)
//   belong to the caller.
// - Guard (§3.13): negative units or a negative amount give amount = unit_amount = 0 and set
//   `zeroed`, so the caller also shows units 0.
// - `parse_charge_properties` validates like Lago's Charges::Validators and never throws for
//   bad input: each problem is added to the collector, and the returned value is still
//   usable (invalid fields fall back to zero).
// - `custom` has no model here (parse_charge_model returns nullopt): it cannot be reproduced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"
#include "tariff/error.hpp"

namespace tariff {

enum class ChargeModel { standard, graduated, graduated_percentage, package, percentage, volume, dynamic };

// "standard", "graduated", ... as Lago spells them; "custom" and anything else → nullopt.
std::optional<ChargeModel> parse_charge_model(std::string_view name);
const char* charge_model_name(ChargeModel model);

enum class AggregationKind { count, sum, unique_count, max, latest, weighted_sum };

// One tier of graduated_ranges, graduated_percentage_ranges or volume_ranges.
struct ChargeRange {
  Decimal from_value;
  std::optional<Decimal> to_value;  // nullopt = open-ended (last range only)
  Decimal per_unit_amount;          // graduated, volume
  Decimal flat_amount;
  Decimal rate;                     // graduated_percentage, in percent
  // The bounds as given (integer or decimal text), echoed in amount_details like Lago does.
  nlohmann::json from_value_json = 0;
  nlohmann::json to_value_json = nullptr;
};

struct ChargeProperties {
  ChargeModel model = ChargeModel::standard;

  Decimal amount;  // standard: per unit; package: per package

  std::vector<ChargeRange> graduated_ranges;             // in given order
  std::vector<ChargeRange> graduated_percentage_ranges;  // in given order
  std::vector<ChargeRange> volume_ranges;                // sorted by from_value

  int64_t package_size = 1;  // package
  int64_t free_units = 0;    // package

  Decimal rate;                                       // percentage, in percent
  Decimal fixed_amount;                               // percentage, per paying event
  bool has_fixed_amount = false;
  int64_t free_units_per_events = 0;                  // percentage, 0 = unset
  Decimal free_units_per_total_aggregation;           // percentage, 0 = unset
  std::optional<Decimal> per_transaction_min_amount;  // percentage (premium: enabled)
  std::optional<Decimal> per_transaction_max_amount;

  // pricing_group_keys (or the deprecated grouped_by), blanks dropped.
  std::vector<std::string> pricing_group_keys;
  // presentation_group_keys values, in order.
  std::vector<std::string> presentation_group_keys;
};

// Validates like Lago: each problem → errors.add(path + ".<field>", "<lago code>"), with
// Lago's field names (flat_amount, per_unit_amount, rate, graduated_ranges, ...), e.g.
// path = "plans[0].charges[1].properties". Accepts decimal strings ("0.0125", "1e3") and JSON
// numbers for amounts, JSON integers for package_size/free_units/free_units_per_events, null
// where Lago allows it. Null or empty properties take Lago's defaults for the model
// (ChargeModels::BuildDefaultPropertiesService). Always returns a value.
ChargeProperties parse_charge_properties(ChargeModel model, const nlohmann::json& properties,
                                         const std::string& path, ErrorCollector& errors);

// Charge-level checks Lago makes on the model against the metric (app/models/charge.rb):
// dynamic needs sum_agg (charge_model: invalid_aggregation_type_or_charge_model), percentage
// and graduated_percentage refuse latest_agg (billable_metric: invalid_value), prorated needs
// a recurring non-weighted metric with advance standard or arrears standard/volume/graduated
// (prorated: invalid_billable_metric_or_charge_model), pay_in_advance refuses volume and
// metrics other than count/sum/unique_count (pay_in_advance:
// invalid_aggregation_type_or_charge_model). `charge_path` is the charge
// itself, e.g. "plans[0].charges[1]".
void validate_charge_model_for_metric(ChargeModel model, AggregationKind aggregation,
                                      bool recurring, bool pay_in_advance, bool prorated,
                                      const std::string& charge_path, ErrorCollector& errors);

struct ChargeUsage {
  AggregationKind aggregation = AggregationKind::count;
  Decimal units;                        // aggregated units (prorated ones for prorated charges)
  int64_t events_count = 0;
  std::vector<Decimal> event_values;    // sum-like metrics: each event value, time order (percentage)
  Decimal dynamic_amount;               // dynamic: Σ precise_total_amount_cents / subunit
  bool prorated = false;                // §3.9
  Decimal full_units;                   // unprorated units when prorated
  std::vector<std::pair<Decimal, Decimal>> prorated_events; // (full, prorated), time order, carried total first
  // The prorated values above are numerators over this common denominator (the charges
  // duration: v × days / duration is stored as v × days), so that they are divided once.
  Decimal prorated_denominator{1};
  // Prorated units Lago does not round (a fixed charge of a subscription that does not exist
  // yet: units × days / duration): `units` is this fraction cut to 18 places; standard and
  // volume multiply by the fraction itself, so the amount is divided once.
  std::optional<Ratio> units_fraction;

  // Percentage: running totals R (§3.5) if the caller already has them; otherwise they are
  // derived from event_values (sum-like) or 1..units (count-like). For an estimate, append
  // the new event's value to event_values: it is then "in the running totals" as in Lago.
  std::optional<std::vector<Decimal>> running_total;
  // Lago's exclude_event: amount of a pay-in-advance charge *before* a persisted event. At 0
  // units the first-tier flat of graduated / graduated_percentage is then not counted.
  bool exclude_event = false;
};

struct ChargeAmount {
  Decimal amount;          // major units, unrounded
  Decimal unit_amount;     // amount / units (unprorated units if prorated), 0 when units = 0
  nlohmann::ordered_json amount_details = nlohmann::ordered_json::object();  // Lago's Fee.amount_details
  bool zeroed = false;     // §3.13 guard applied: show units 0 as well
};

ChargeAmount compute_charge(const ChargeProperties& properties, const ChargeUsage& usage);

// §14.2: projection to the end of the period, ratio = elapsed days / period days in (0, 1].
// units = round(units / ratio, 2); amount per model (unrounded; never negative). A ratio
// outside (0, 1] projects nothing (0, 0), as Lago does.
struct ProjectedCharge { Decimal amount; Decimal units; };
ProjectedCharge project_charge(const ChargeProperties& properties, const ChargeUsage& usage,
                               const Ratio& ratio);

}  // namespace tariff
