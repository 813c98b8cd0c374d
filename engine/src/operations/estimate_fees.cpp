// estimate_fees (SEMANTICS §14.3): the fee one event would create on each pay-in-advance
// charge of its metric. The event is stamped `now`; the bucket is the matching filter with
// the most keys (else the default bucket); the group is the event's own values. With S the
// usage already in that bucket this period and Δ the event's contribution:
//   amount = model(S + Δ, count + 1, the event in the running totals) − model(S)
// so a first-tier flat already billed is not billed again.
//
// Prorated (a prorated charge on a recurring metric), as Lago's prorated aggregations with
// to_datetime = the end of the charges period and events up to now: S weighs each existing
// event by days(event, period end) / duration (the carried total by the whole period), and
// Δ = ceil5(full Δ × days(now, period end) / duration) — the part of the period that is left,
// not the part elapsed (BillableMetrics::ProratedAggregations::BaseService
// #compute_pay_in_advance_aggregation). The fee's units are the full Δ.
#include <algorithm>

#include "invoice/preview.hpp"
#include "usage/taxes.hpp"
#include "snapshot/expression_apply.hpp"
#include "operations/operations.hpp"
#include "snapshot/aggregates.hpp"
#include "snapshot/reader.hpp"
#include "usage/charge_fees.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff {
namespace {

using ojson = nlohmann::ordered_json;

[[noreturn]] void invalid(const std::string& path, const std::string& code) {
  throw Failure(Error::validation(path, code));
}

// The filter with the most keys that the event matches, or null for the default bucket.
const ChargeFilter* bucket_for(const Charge& c, const Event& e) {
  const ChargeFilter* best = nullptr;
  for (const auto& f : c.filters)
    if (event_matches_filter(e, f) && (!best || f.values.size() > best->values.size())) best = &f;
  return best;
}

// Δ of §14.3, unprorated, given the existing in-bucket events (time order) and the new one.
Decimal delta_units(const BillableMetric& m, const std::vector<const Event*>& existing, const Event& ev,
                    const AggregationWindow& w, bool prorated) {
  switch (m.aggregation) {
    case Aggregation::count_agg: return Decimal(1);
    case Aggregation::unique_count_agg: {
      auto value = event_property_text(ev, m.field_name);
      auto op = event_property_text(ev, "operation_type");
      if (op && *op == "remove") return Decimal(0);
      bool active = false;  // is the value currently added?
      for (const Event* e : existing) {
        if (event_property_text(*e, m.field_name) != value) continue;
        auto eop = event_property_text(*e, "operation_type");
        active = !(eop && *eop == "remove");
      }
      return active ? Decimal(0) : Decimal(1);
    }
    case Aggregation::sum_agg: {
      const Decimal v = *event_value(ev, m.field_name);
      if (prorated) return v;
      // Rise of the running total above its previous maximum (= v when nothing went negative).
      Decimal total, peak;
      const Instant from = std::chrono::floor<std::chrono::milliseconds>(w.from);
      for (const Event* e : existing) {
        if (e->timestamp < from && !m.recurring) continue;
        total += *event_value(*e, m.field_name);
        peak = max(peak, total);
      }
      const Decimal after = total + v;
      return after > peak ? after - peak : Decimal(0);
    }
    default: return Decimal(0);
  }
}

ojson estimate_fee(const Snapshot& s, const Subscription& sub, const Charge& c, const Event& ev) {
  const BillableMetric& m = *c.metric;
  const Currency& cur = sub.plan->currency;
  const SubscriptionDates dates = subscription_dates(s, sub);
  const Windows win = current_usage_windows(dates, s.now);
  AggregationWindow w;
  w.from = win.charges_from;
  w.to = win.charges_to;
  w.charges_duration = win.charges_duration_days;
  w.tz = dates.tz;
  AggregationWindow until_now = w;
  until_now.to = std::min(w.to, s.now);

  const ChargeFilter* filter = bucket_for(c, ev);
  const ChargeProperties& props = filter ? filter->properties : c.properties;
  const auto& keys = filter ? filter->pricing_group_keys : c.pricing_group_keys;
  // Existing events of the same bucket and group.
  const auto selected = select_events(s, sub.external_id, m, until_now);
  check_aggregates_serve(c, selected);  // snapshot/aggregates.hpp
  const auto buckets = bucket_events(c, selected);
  const size_t bi = filter ? static_cast<size_t>(filter - c.filters.data()) : c.filters.size();
  std::vector<const Event*> existing;
  for (const Event* e : buckets[bi]) {
    bool same = true;
    for (const auto& k : keys) same &= event_property_text(*e, k) == event_property_text(ev, k);
    if (same) existing.push_back(e);
  }
  const bool prorated = c.prorated && m.recurring;
  // Prorated weights run to the end of the period (the events are those up to now).
  const AggregatedUsage before = aggregate(m, existing, prorated ? w : until_now, prorated, cur);
  const Decimal full_delta = delta_units(m, existing, ev, until_now, prorated);
  Decimal delta = full_delta;
  if (prorated && !full_delta.is_zero()) {
    const int64_t days = day_count(ev.timestamp, w.to, w.tz);  // now .. period end, inclusive
    delta = Decimal::mul_div(full_delta, Decimal(days), Decimal(w.charges_duration > 0 ? w.charges_duration : 1), 5,
                             RoundingMode::ceil);
  }

  ChargeUsage after = before.usage;
  after.units = before.usage.units + delta;
  after.events_count += 1;
  if (m.aggregation == Aggregation::sum_agg) after.event_values.push_back(*event_value(ev, m.field_name));
  if (ev.precise_total_amount_cents()) after.dynamic_amount += cur.from_cents(*ev.precise_total_amount_cents());
  ChargeUsage base = before.usage;
  base.exclude_event = true;
  const ChargeAmount with_event = compute_charge(props, after);
  const ChargeAmount before_event = compute_charge(props, base);
  const Decimal amount = with_event.amount - before_event.amount;

  ChargeFee fee;
  fee.model.amount = amount;
  price_fee(fee, &c, cur);
  const Decimal units = prorated ? full_delta : delta;
  const Decimal unit_amount = units.is_zero() ? Decimal() : cur.from_cents(Decimal(fee.amount_cents)) / units;
  // The fee as an invoice would carry it (one Fee serializer for every operation), plus the
  // fields Lago's estimate adds.
  InvoiceFee f;
  f.kind = FeeKind::charge;
  f.sub = &sub;
  f.charge = &c;
  f.filter = filter;
  f.has_filters = !c.filters.empty();
  f.grouped = !keys.empty();
  for (const auto& k : keys) f.grouped_by.emplace_back(k, event_property_text(ev, k));
  f.amount_cents = fee.amount_cents;
  f.precise_amount_cents = fee.precise_amount_cents;
  f.units = units;
  f.total_aggregated_units = units;
  f.events_count = 1;
  // Lago: unit_amount = rounded amount / units, × subunit into an integer column (truncated).
  // amount_cents / units truncated once: the 18-place quotient could round up to a whole cent.
  f.unit_amount_cents = units.is_zero() ? 0
                                        : Decimal::mul_div(Decimal(fee.amount_cents), Decimal(1), units, 0,
                                                           RoundingMode::truncate).to_int64();
  f.precise_unit_amount = unit_amount;
  f.pricing_unit_details = fee.pricing_unit_details;
  f.pay_in_advance = true;
  f.invoiceable = c.invoiceable;
  if (s.explain) {  // docs/explain.md: the period's amount with the event, minus before it
    f.explain_details = with_event.amount_details;
    f.explain_units = after.units;
    f.explain_before = before_event.amount;
  }
  f.from = w.from;
  f.to = w.to;
  f.taxes = select_taxes(c.taxes, *sub.plan, s);
  f.fee_taxes = fee_taxes(Decimal(fee.amount_cents), f.taxes);
  ojson o = fee_json(f, cur, s.customer ? &*s.customer : nullptr, s.explain);
  o["lago_charge_id"] = c.lago_id.empty() ? ojson(nullptr) : ojson(c.lago_id);
  o["external_subscription_id"] = sub.external_id;
  o["external_customer_id"] = s.customer ? ojson(s.customer->external_id) : ojson(nullptr);
  o["event_transaction_id"] = ev.transaction_id.empty() ? ojson(nullptr) : ojson(ev.transaction_id);
  o["payment_status"] = "pending";
  return o;
}

}  // namespace

namespace ops {

ordered_json estimate_fees(json& doc) {
  const Snapshot s = parse_snapshot(doc, RequestKind::estimate_fees);
  const json& req = s.request();
  if (!req.contains("event") || !req["event"].is_object()) invalid("event", "value_is_mandatory");
  const json& e = req["event"];
  ErrorCollector errors;
  Reader r(errors);
  Arena& arena = *s.arena;
  Event ev;
  const std::string code = r.string(e, "code", "event", true).value_or("");
  ev.code = arena.text(code);
  ev.transaction_id = arena.text(r.string(e, "transaction_id", "event").value_or(""));
  ev.external_subscription_id = arena.text(r.string(e, "external_subscription_id", "event", true).value_or(""));
  if (Reader::has(e, "properties") && !e["properties"].is_object()) r.add("event.properties", "value_is_invalid");
  errors.throw_if_any();
  if (Reader::has(e, "properties")) ev.properties = properties_from_json(e["properties"], arena);
  ev.timestamp = s.now;
  std::optional<Decimal> precise;
  if (Reader::has(e, "precise_total_amount_cents")) precise = r.decimal(e, "precise_total_amount_cents", "event");
  if (precise) ev.extra_in(arena).precise_total_amount_cents = &*precise;
  errors.throw_if_any();

  const BillableMetric* m = s.find_metric(code);
  if (!m) throw Failure(Error::not_found("billable_metric"));
  const Subscription* sub = nullptr;
  for (const auto& cand : s.subscriptions)
    if (cand.external_id == ev.external_subscription_id && is_active_at(cand, s.now)) sub = &cand;
  if (!sub) throw Failure(Error::not_found("subscription"));

  if (m->expression && !m->field_name.empty() && !apply_expression(*m, ev, arena))
    invalid("event", "expression_evaluation_failed");
  std::vector<const Charge*> charges;
  for (const auto& c : sub->plan->charges)
    if (c.metric == m && c.pay_in_advance) charges.push_back(&c);
  if (charges.empty()) invalid("code", "does_not_match_an_instant_charge");
  if (m->aggregation == Aggregation::sum_agg && !event_value(ev, m->field_name))
    invalid("properties", "value_is_not_valid_number");

  ordered_json fees = ordered_json::array();
  for (const Charge* c : charges) fees.push_back(estimate_fee(s, *sub, *c, ev));
  ordered_json out;
  out["fees"] = std::move(fees);
  return out;
}

}  // namespace ops
}  // namespace tariff
