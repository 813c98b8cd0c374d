// Charge fees: one per filter bucket (and the default bucket) and pricing group of a charge,
// each priced by its charge model and rounded the way Lago rounds a fee (SEMANTICS §1, §3.12):
// amount_cents = round(amount, exponent) × subunit, precise_amount_cents unrounded,
// unit_amount_cents truncated. Pricing units convert the rounded PU cents to fiat.
#pragma once

#include <optional>
#include <vector>

#include "metering/shared_aggregation.hpp"
#include "snapshot/snapshot.hpp"

namespace tariff {

enum class UsageMode { current_usage, invoice };

struct ChargeFee {
  const Charge* charge = nullptr;
  const ChargeFilter* filter = nullptr;  // null: the default bucket
  bool has_filters = false;               // the charge has filters
  bool grouped = false;                   // the charge has pricing group keys
  std::vector<std::pair<std::string, std::optional<std::string>>> grouped_by;
  AggregatedUsage agg;
  ChargeAmount model;                     // the charge model's output (PU when priced in PU)
  Decimal units;                          // units shown on the fee
  Decimal amount;                         // fiat, major units, unrounded
  int64_t amount_cents = 0;
  Decimal precise_amount_cents;
  int64_t unit_amount_cents = 0;
  Decimal precise_unit_amount;
  std::optional<nlohmann::ordered_json> pricing_unit_details;
};

// `cache`: aggregations shared with other charges priced from the same snapshot (null: none).
std::vector<ChargeFee> charge_fees(const Snapshot& s, const Subscription& sub, const Charge& charge,
                                   const AggregationWindow& w, UsageMode mode, AggregationCache* cache = nullptr);

// Major-unit amount → the fee's cents fields (shared by fixed charges).
void price_fee(ChargeFee& fee, const Charge* charge, const Currency& currency);

nlohmann::ordered_json decimal_json(const Decimal& d);  // "2.0" style string

}  // namespace tariff
