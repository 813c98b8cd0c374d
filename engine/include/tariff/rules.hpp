// The engine's rules for the surfaces that store state (the REST server): plan changes,
// period boundaries in the customer's zone, event timestamps, and validation at write time.
//
// A surface that keeps Lago's objects must answer the same questions the engine answers when
// it later calculates — is this plan change an upgrade, when does a downgrade take effect,
// would this object be refused — and must not keep its own copy of those rules. Each function
// here reads the objects exactly as a calculation would (the snapshot parser of CONTRACT §1,
// with its resolution of plans, overrides, currencies and time zones) and applies the one
// rule the calculations use. Pure, like the rest of the engine: `now` is passed in.
//
// Currencies (find_currency, tariff/currency.hpp), instants (parse_instant, tariff/time.hpp)
// and exact JSON (tariff/json.hpp) are public already and are used as they are.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"
#include "tariff/error.hpp"
#include "tariff/time.hpp"

namespace tariff::rules {

// A value, or the error document the engine answers instead.
template <class T>
struct Checked {
  std::optional<T> value;
  Error error;
  bool ok() const { return value.has_value(); }
};

// An event's timestamp as the engine reads it: Unix seconds (integer, or decimal text as the
// exact JSON reader leaves a fractional number) or ISO 8601, within 1970..9999 (UTC).
std::optional<Instant> event_timestamp(const nlohmann::json& value);

// ---- plan change (SEMANTICS §13) -----------------------------------------------------------
enum class PlanChangeKind { upgrade, downgrade };

struct PlanChange {
  PlanChangeKind kind = PlanChangeKind::upgrade;
  // Upgrade: now (the old subscription ends, the new one starts). Downgrade: local midnight
  // of the day after the current billing period, in the customer's zone (else the
  // organization's), when the old plan ends and the new one starts.
  Instant effective_at{};
  date::local_days effective_day{};  // the local date of effective_at (downgrade_plan_date)
};

// Moving subscription `external_id` (its live row) of `snapshot_json` to plan `plan_code` at
// the snapshot's `now`: yearly(new) ≥ yearly(old) is an upgrade, as in the preview.
// Errors as the preview's: 404 subscription_not_found / plan_not_found, 422
// currencies_does_not_match, new_plan_should_be_different_from_existing_plan, or the
// snapshot's own validation errors.
Checked<PlanChange> plan_change(std::string_view snapshot_json, std::string_view external_id,
                                std::string_view plan_code);

// Local midnight of `day` in the zone the snapshot's calculations use (customer, else
// organization, else UTC).
Checked<Instant> start_of_local_day(std::string_view snapshot_json, date::local_days day);

// ---- validation at write time --------------------------------------------------------------
enum class Resource {
  billable_metric,  // context: —
  tax,              // context: —
  plan,             // context: billable_metrics, taxes
  coupon,           // context: billable_metrics, plans
  organization,     // context: taxes
  customer,         // context: taxes, organization
  subscription,     // context: organization, customer, billable_metrics, taxes, plans
  wallet,           // context: customer
  event,            // context: billable_metrics
};

// Error details of one object, paths relative to it ("properties.amount" → codes).
using Details = std::map<std::string, std::vector<std::string>>;

// Validates each object of the array `objects` as it will be read inside a snapshot — the
// snapshot parser itself, with the objects `context` names (snapshot sections, as stored) —
// plus the model validations Lago runs at write time that no calculation needs (a metric's
// name, string lengths, positive coupon amounts; see validate.cpp). Returns one Details per
// object, in order; all empty when every object may be stored. Never throws on bad input.
std::vector<Details> validate(Resource kind, const nlohmann::json& objects,
                              const nlohmann::json& context, Instant now);

// ---- events that cannot be priced (Lago's Events::PostValidationService) -------------------
// Transaction ids of stored events (Lago's Event objects: transaction_id, code, properties)
// that the billable metrics (as stored: code, aggregation_type, field_name, expression,
// filters) cannot price, each list in event order without repeats (event_errors.cpp).
struct EventErrors {
  std::vector<std::string> invalid_code;                  // no metric has the event's code
  std::vector<std::string> missing_aggregation_property;  // the metric's field absent, or not a number it needs
  std::vector<std::string> invalid_filter_values;         // a filter key with a value the filter does not list
  bool empty() const {
    return invalid_code.empty() && missing_aggregation_property.empty() && invalid_filter_values.empty();
  }
};
EventErrors event_errors(const nlohmann::json& events, const nlohmann::json& billable_metrics);
// ---- amounts the server keeps (wallets, past usage) -------------------------------------------
// A wallet's credits in money: amount = credits × rate_amount (exact), balance_cents = amount
// rounded to the currency's exponent, in its subunits (10.5 credits at 2.0 USD = 2100 cents).
// 422 `currency` value_is_invalid for an unknown currency, `base` value_out_of_range when the
// amount does not fit (exact decimals, int64 cents).
struct WalletAmount {
  Decimal amount;
  int64_t amount_cents = 0;
};
Checked<WalletAmount> wallet_amount(const Decimal& credits, const Decimal& rate_amount, std::string_view currency);

// Lago's past usage of one billed period (CustomerChargeUsageObject): the charge fees given
// (already filtered to one subscription's period), grouped by `lago_charge_id` in first-seen
// order, summed; and the period's totals (amount, taxes, total = amount + taxes).
struct ChargeUsageSum {
  nlohmann::json lago_charge_id;
  size_t first_fee = 0;  // index of the group's first fee in the input
  Decimal units, total_aggregated_units;
  int64_t events_count = 0, amount_cents = 0;
};
struct PastUsageSums {
  std::vector<ChargeUsageSum> charges;
  int64_t amount_cents = 0, taxes_amount_cents = 0, total_amount_cents = 0;
};
// 422 `fees` value_is_invalid when a sum overflows or a value is not a number.
Checked<PastUsageSums> past_usage_sums(const nlohmann::json& fees);

// Lago's length limits (its model validations), in characters.
constexpr size_t kCustomerNameMax = 255;
constexpr size_t kMetadataKeyMax = 20;
constexpr size_t kMetadataValueMax = 100;
constexpr size_t kInvoiceFooterMax = 600;

}  // namespace tariff::rules
