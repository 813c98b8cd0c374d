// The snapshot (CONTRACT §1) as typed, validated values.
//
// parse_snapshot() reads the whole document once, checks every field it uses and collects
// every problem as a Lago-style path → code before failing with one 422 (ErrorCollector).
// After it returns, references are resolved (charge → metric, subscription → plan with its
// overrides applied, taxes by code), so the calculation code never meets a dangling code.
// Objects live in vectors that are never resized after parsing; pointers into them are stable
// for the Snapshot's lifetime (Snapshot is move-only for that reason).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/charge_models.hpp"
#include "tariff/currency.hpp"
#include "tariff/decimal.hpp"
#include "tariff/expression.hpp"
#include "tariff/time.hpp"
#include "core/event_store.hpp"
#include "snapshot/history.hpp"
#include "snapshot/inputs.hpp"
#include "snapshot/issued_invoices.hpp"

namespace tariff {

using json = nlohmann::json;

struct Tax {
  std::string lago_id, code, name;
  Decimal rate;  // percent
  bool applied_to_organization = false;
};
using TaxList = std::vector<const Tax*>;

enum class Aggregation { count_agg, sum_agg, max_agg, unique_count_agg, weighted_sum_agg, latest_agg };
const char* aggregation_name(Aggregation);
AggregationKind aggregation_kind(Aggregation);

struct MetricFilter {
  std::string key;
  std::vector<std::string> values;
};

struct BillableMetric {
  std::string lago_id, code, name;
  Aggregation aggregation = Aggregation::count_agg;
  std::string field_name;
  bool recurring = false;
  std::shared_ptr<const expr::Expression> expression;  // null when none
  std::string expression_source;                       // its text ("" when none)
  std::optional<RoundingMode> rounding;                // rounding_function
  int rounding_precision = 0;
  std::vector<MetricFilter> filters;
};

struct PricingUnit {
  std::string code, short_name;
  Decimal conversion_rate;
};

// A charge filter: values per key, in the input's key order.
struct ChargeFilter {
  std::vector<std::pair<std::string, std::vector<std::string>>> values;  // __ALL_FILTER_VALUES__ expanded
  std::vector<std::pair<std::string, std::vector<std::string>>> raw_values;  // as given, for display
  std::string invoice_display_name;  // empty when null
  bool has_display_name = false;
  ChargeProperties properties;
  std::vector<std::string> pricing_group_keys;
};

struct Charge {
  std::string lago_id;
  const BillableMetric* metric = nullptr;
  ChargeModel model = ChargeModel::standard;
  bool pay_in_advance = false;
  bool invoiceable = true;
  bool prorated = false;
  std::optional<Decimal> min_amount_cents;
  std::optional<std::string> invoice_display_name;
  ChargeProperties properties;
  std::vector<std::string> pricing_group_keys;
  std::vector<ChargeFilter> filters;
  std::optional<TaxList> taxes;  // set only when the charge names its own taxes
  std::optional<PricingUnit> pricing_unit;
};

struct FixedCharge {
  std::string lago_id, add_on_code, add_on_name;
  std::string add_on_id;  // lago_add_on_id as given, else derived from the code (tariff/ids.hpp)
  std::optional<std::string> invoice_display_name;
  ChargeModel model = ChargeModel::standard;
  bool pay_in_advance = false;
  bool prorated = false;
  Decimal units;
  ChargeProperties properties;
  std::optional<TaxList> taxes;
};

struct MinimumCommitment {
  int64_t amount_cents = 0;
  std::optional<std::string> invoice_display_name;
  std::optional<TaxList> taxes;
};

// A usage threshold (progressive billing, SEMANTICS §11): the lifetime usage at which a
// progressive invoice is issued; a recurring one every amount_cents beyond the largest fixed one.
struct UsageThreshold {
  std::string lago_id;
  std::optional<std::string> threshold_display_name;
  int64_t amount_cents = 0;
  bool recurring = false;
  std::string created_at, updated_at;  // as given (display only)
};

struct Plan {
  std::string lago_id, code, name;
  std::optional<std::string> invoice_display_name;
  Interval interval = Interval::monthly;
  int64_t amount_cents = 0;
  Currency currency;
  bool pay_in_advance = false;
  Decimal trial_period;  // days
  bool bill_charges_monthly = false;
  bool bill_fixed_charges_monthly = false;
  std::optional<TaxList> taxes;
  std::vector<Charge> charges;
  std::vector<FixedCharge> fixed_charges;
  std::optional<MinimumCommitment> minimum_commitment;
  std::vector<UsageThreshold> usage_thresholds;  // snapshot/usage_thresholds.cpp
};

struct Customer {
  std::string lago_id, external_id, name;
  std::optional<Currency> currency;
  std::optional<TimeZone> timezone;
  std::optional<TaxList> taxes;
  std::optional<int> invoice_grace_period;  // flat, or billing_configuration's
  std::optional<int> net_payment_term;
  std::optional<IssuingDateAnchor> issuing_date_anchor;          // billing_configuration
  std::optional<IssuingDateAdjustment> issuing_date_adjustment;  // billing_configuration
};

enum class SubscriptionStatus { active, pending, terminated, canceled };

struct Subscription {
  std::string lago_id, external_id, name;
  std::string plan_code;
  const Plan* plan = nullptr;  // the plan with plan_overrides applied
  BillingTime billing_time = BillingTime::calendar;
  SubscriptionStatus status = SubscriptionStatus::active;
  Instant subscription_at{};
  std::optional<Instant> started_at;
  std::optional<Instant> ending_at;
  std::optional<Instant> terminated_at;
  std::optional<Instant> created_at;
  std::string previous_plan_code, next_plan_code;  // a scheduled plan change (downgrade)
  // Progressive billing: the subscription's own thresholds (they replace the plan's when any),
  // progressive_billing_disabled, and lifetime_usage.external_historical_usage_amount_cents.
  std::vector<UsageThreshold> usage_thresholds;
  bool progressive_billing_disabled = false;
  int64_t historical_usage_amount_cents = 0;
  // Lago's Subscription#applicable_usage_thresholds.
  const std::vector<UsageThreshold>& applicable_usage_thresholds() const;
};

// Pre-aggregated usage (snapshot `usage_aggregates`, snapshot/aggregates.hpp): the events of
// one subscription and metric code that share their properties (the metric's value field
// left out) within one quarter-hour, summed as each aggregation needs them.
struct UsageAggregate {
  Instant bucket{}, first{}, last{};  // quarter-hour start; first and last event timestamps
  std::string metric;                 // the metric definition it was built for (fingerprint)
  int64_t count = 0;                  // events
  Decimal sum;                        // Σ values
  std::optional<Decimal> max;         // largest value
  Decimal latest;                     // value of the last event by (timestamp, sequence)
  int64_t latest_sequence = 0;        // that event's arrival sequence
  Decimal weighted;                   // Σ value × microseconds after `bucket`
  std::optional<Decimal> precise_total_amount_cents;  // Σ over the events that have one
  int precise_total_amount_cents_places = 0;          // most decimals among them
};

// What few events carry beyond their fields, kept apart (in the snapshot's arena) so that an
// Event stays small: an aggregate entry's aggregate, precise_total_amount_cents, and the
// result of the event's metric's expression (snapshot/expression_apply).
struct EventExtra {
  const UsageAggregate* aggregate = nullptr;            // set: the entry stands for an aggregate
  const Decimal* precise_total_amount_cents = nullptr;  // null when absent
  expr::StoredResult expression_result;                 // field null: none
};

// An event: its strings are views into the snapshot text or the snapshot's arena (they live
// as long as the Snapshot and the text it was read from), its properties a flat list there.
// 72 bytes (48 in WASM): strings as pointer + 32-bit size, the rare parts behind `extra`.
struct Event {
  Instant timestamp{};
  const EventExtra* extra = nullptr;  // null: none of them (the accessors below)
  PropertyList properties;
  EventText transaction_id, external_subscription_id, code;
  uint32_t order = 0;  // ingestion order (input order)

  const UsageAggregate* aggregate() const { return extra ? extra->aggregate : nullptr; }
  const Decimal* precise_total_amount_cents() const { return extra ? extra->precise_total_amount_cents : nullptr; }
  // Its metric's expression's result (field null when none).
  const expr::StoredResult& expression_result() const { return extra ? extra->expression_result : no_result(); }
  // The extra part, made in `arena` (copied from the current one) the first time it is changed.
  EventExtra& extra_in(Arena& arena) {
    EventExtra* x = static_cast<EventExtra*>(arena.allocate(sizeof(EventExtra), alignof(EventExtra)));
    new (x) EventExtra(extra ? *extra : EventExtra());
    extra = x;
    return *x;
  }

 private:
  static const expr::StoredResult& no_result() {
    static const expr::StoredResult none;
    return none;
  }
};

static_assert(sizeof(void*) != 8 || sizeof(Event) == 72, "Event: 72 bytes on 64-bit targets");

// The positions in Snapshot::events of one (external_subscription_id, code), in event order
// (timestamp, then input order): Snapshot::events_of().
struct EventRange {
  const uint32_t* first = nullptr;
  const uint32_t* last = nullptr;
  const uint32_t* begin() const { return first; }
  const uint32_t* end() const { return last; }
  size_t size() const { return static_cast<size_t>(last - first); }
};

// Snapshot::events_of()'s index, built on first use in one pass over the events
// (snapshot/events.cpp): each (external_subscription_id, code) is a group found by open
// addressing; `positions` holds every event's position, grouped, each group in event order.
struct EventIndex {
  struct Group {
    std::string_view external_subscription_id, code;
    uint64_t hash = 0;
    uint32_t begin = 0, end = 0;  // its positions: positions[begin, end)
  };
  std::vector<uint32_t> slots;  // a group's number + 1, 0 when empty; a power of two
  std::vector<Group> groups;
  std::vector<uint32_t> positions;
  std::vector<uint32_t> group_of;        // each event's group, by position in `events`
  std::vector<uint32_t> in_input_order;  // the positions by `order`: the order of the events' text
  // Built while reading (empty otherwise): each event's timestamp, by position, and `plain`
  // when no event is an aggregate or carries precise_total_amount_cents.
  std::vector<Instant> timestamps;
  bool plain = false;
  // Each event's value for the field of its code's metric, parsed once in input order by
  // metering (event_values(), metering/aggregation.hpp); `metric` per group, null: none parsed.
  struct Values {
    std::vector<const BillableMetric*> metric;
    std::vector<Decimal> value;
    std::vector<uint8_t> state;  // 0 not numeric or absent, 1 numeric, 2 beyond exact billing
    bool built = false;
  } values;
  const Event* built_for = nullptr;  // events.data() and size() it was built for
  size_t built_size = 0;
  bool built = false;
};

struct Organization {
  TimeZone timezone = TimeZone::utc();
  std::optional<Currency> default_currency;
  TaxList taxes;  // applied_to_organization or listed in tax_codes
  int invoice_grace_period = 0;  // flat, or billing_configuration's
  int net_payment_term = 0;
  IssuingDateAnchor issuing_date_anchor = IssuingDateAnchor::next_period_start;
  IssuingDateAdjustment issuing_date_adjustment = IssuingDateAdjustment::align_with_finalization_date;
};

struct Snapshot {
  Snapshot() = default;
  Snapshot(Snapshot&&) = default;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  Instant now{};
  Organization organization;
  std::vector<Tax> taxes;
  std::vector<BillableMetric> billable_metrics;
  std::vector<Plan> plans;
  std::vector<std::unique_ptr<Plan>> overridden_plans;  // plans with subscription overrides
  std::optional<Customer> customer;
  std::vector<Subscription> subscriptions;
  std::vector<Event> events;  // sorted by (timestamp, order); aggregates by their first event
  std::unique_ptr<Arena> arena = std::make_unique<Arena>();  // the events' text and properties
  std::vector<UsageAggregate> usage_aggregates;  // never resized after parsing
  std::vector<Coupon> coupons;                // organization coupons
  std::vector<AppliedCoupon> applied_coupons;  // the customer's, in input order
  std::vector<Wallet> wallets;
  std::vector<CreditNote> credit_notes;
  std::vector<BilledFee> billed_fees;  // snapshot.invoices[].fees (docs/billing.md)
  std::vector<IssuedInvoice> issued_invoices;  // snapshot.invoices[], for progressive billing
  // The request, typed for the operation parse_snapshot() was told about.
  std::optional<PreviewRequest> preview_request;
  std::optional<UsageRequest> usage_request;
  std::optional<EstimateRequest> estimate_request;
  json raw;                   // {"request": ...} as given
  bool explain = false;       // request.explain: fees carry an explanation (docs/explain.md)
  mutable EventIndex event_index;  // events_of()'s (single-threaded per snapshot)

  const json& request() const;
  const Plan* find_plan(const std::string& code) const;
  const Subscription* find_subscription(const std::string& external_id) const;
  const Coupon* find_coupon(const std::string& code) const;
  // The pending subscription that replaces `sub` at its period end (a scheduled downgrade):
  // same external id, status pending, linked by next_plan_code / previous_plan_code.
  const Subscription* next_subscription(const Subscription& sub) const;
  const BillableMetric* find_metric(std::string_view code) const;
  // Positions in `events` of the entries of one subscription and metric code, in the order of
  // `events` (index built on first use: `events` must not change while calculating).
  EventRange events_of(std::string_view external_subscription_id, std::string_view code) const;
  // events_of()'s index, built if need be (a cache: mutable through a const snapshot).
  EventIndex& indexed_events() const;
  // Customer timezone, else organization's, else UTC.
  const TimeZone& timezone() const;
};

// Reads `doc` and takes parts of it (event properties, the request) by move: the document is
// left valid but incomplete and should not be read again. `kind` says which request to type
// (and check) along with the rest.
Snapshot parse_snapshot(json& doc, RequestKind kind = RequestKind::none);

// The same snapshot with other plans (price-change impact, tariff/impact.hpp): `doc` is the
// document parse_snapshot() read `s` from, whose "plans" array has since changed at the
// positions in `changed` (a position past the old plans is a plan added). Those plans are
// read again, the others kept, and the subscriptions resolved against them: `s` is then what
// parse_snapshot() gives for the changed document. Throws the same 422 (plan paths).
void reparse_plans(Snapshot& s, json& doc, const std::vector<size_t>& changed);

}  // namespace tariff
