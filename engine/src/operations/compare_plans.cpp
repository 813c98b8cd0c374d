// compare_plans (docs/compare_plans.md): the subscription's current period priced on each plan
// as if it had been on that plan for the whole period.
//
// For each plan P (request.plan_codes, else every plan in the customer's currency): a copy of
// the subscription on P — the subscribed plan keeps its plan_overrides — whose started_at is
// moved to before P's period containing `now` when it started inside it (so no proration: the
// whole period's subscription fee), with no ending_at and no scheduled plan change. Its
// invoice is the preview's projection (invoice/pipeline.hpp) at the end of that period:
//   total_amount_cents            that invoice with the usage so far
//   projected_total_amount_cents  the same fees with each charge's usage projected to the
//                                 period end as projected_usage projects it (§14.2)
// Both go through coupons, taxes, credit notes and wallets as the invoice does. Plans are
// ordered by projected total, then plan code. The snapshot is parsed once, and the events of a
// metric are aggregated once for every plan that charges it alike (metering/shared_aggregation.hpp).
//
//   €49 plan, 10 units so far @ 1.00, day 10 of 31:   total 49 + 10 = 59;
//   projected units 10 × 31 / 10 = 31 → 49 + 31 = 80
#include <algorithm>

#include "core/json_write.hpp"
#include "invoice/pipeline.hpp"
#include "metering/shared_aggregation.hpp"
#include "operations/operations.hpp"
#include "rules/plan_change.hpp"
#include "tariff/error.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& code) {
  throw Failure(Error::validation(path, code));
}

// The plans to compare, in request order (or catalog order), each once.
std::vector<const Plan*> plans_to_compare(const Snapshot& s, const Subscription& sub) {
  const json& req = s.request();
  std::vector<const Plan*> out;
  auto add = [&](const Plan* p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  auto own = [&](const Plan& p) { return p.code == sub.plan_code ? sub.plan : &p; };
  const std::string currency = s.customer && s.customer->currency ? std::string(s.customer->currency->code)
                                                                  : std::string(sub.plan->currency.code);
  if (!req.contains("plan_codes") || req["plan_codes"].is_null()) {
    for (const Plan& p : s.plans)
      if (p.currency.code == currency) add(own(p));
    return out;
  }
  const json& codes = req["plan_codes"];
  if (!codes.is_array()) fail("request.plan_codes", "invalid_type");
  ErrorCollector errors;
  for (size_t i = 0; i < codes.size(); ++i) {
    const std::string path = "request.plan_codes[" + std::to_string(i) + "]";
    if (!codes[i].is_string()) {
      errors.add(path, "invalid_type");
      continue;
    }
    const Plan* p = s.find_plan(codes[i].get<std::string>());
    if (!p) throw Failure(Error::not_found("plan"));
    if (p->currency.code != currency) {
      errors.add(path, "currencies_does_not_match");
      continue;
    }
    add(own(*p));
  }
  errors.throw_if_any();
  return out;
}

struct Priced {
  const std::string* code = nullptr;
  int64_t total = 0, projected = 0;
  std::string invoice;  // its JSON text
};

// projected_usage's ratio: elapsed days / period days over the charges window, in [0, 1].
Ratio projection_ratio(const Windows& w, const TimeZone& tz, Instant now) {
  if (now >= w.charges_to) return Ratio();
  const int64_t total = day_count(w.charges_from, w.charges_to, tz);
  const int64_t elapsed = day_count(w.charges_from, now, tz);
  if (total <= 0) return Ratio();
  return Ratio(Decimal(std::clamp<int64_t>(elapsed, 0, total)), Decimal(total));
}

// `customer_text`: the invoices' customer block, the same for every plan (written once).
Priced price_on(Snapshot& s, size_t index, const Subscription& original, const Plan& plan, AggregationCache& cache,
                size_t size_hint, std::string& customer_text) {
  Subscription& sub = s.subscriptions[index];
  sub = original;
  sub.plan = &plan;
  sub.plan_code = plan.code;
  sub.ending_at.reset();
  sub.terminated_at.reset();
  sub.next_plan_code.clear();
  sub.previous_plan_code.clear();
  // On P for the whole period containing now: a start inside it moves to the day before.
  const TimeZone& tz = s.timezone();
  const DayRange period = period_containing(plan.interval, sub.billing_time,
                                            date::year_month_day{tz.local_date(sub.subscription_at)},
                                            tz.local_date(s.now));
  const Instant start = sub.started_at.value_or(sub.subscription_at);
  if (tz.local_date(start) >= period.first) sub.started_at = tz.start_of_day(period.first - date::days{1});

  const PreviewContext ctx = build_preview_context(s);
  std::vector<InvoiceFee> fees, projected;
  // The subscription and fixed-charge fees do not depend on usage: the projection copies them.
  auto also_projected = [&](size_t from) { projected.insert(projected.end(), fees.begin() + from, fees.end()); };
  for (const auto& b : ctx.billed) {
    size_t from = fees.size();
    add_subscription_fee(s, b, fees);
    also_projected(from);
    const ChargeProjection pr{projection_ratio(b.windows, b.dates.tz, s.now), &projected};
    add_charge_fees(s, b, fees, &pr, &cache);
    from = fees.size();
    add_fixed_charge_fees(s, b, fees);
    also_projected(from);
    add_commitment_fee(s, b, fees);  // the minimum commitment's fee depends on the fees before it
    add_commitment_fee(s, b, projected);
  }
  const ComputedInvoice inv = price_invoice(s, ctx, std::move(fees));
  const ComputedInvoice proj = price_invoice(s, ctx, std::move(projected));
  Priced out{&plan.code, inv.total, proj.total, {}};
  out.invoice.reserve(size_hint);
  {
    JsonText w(out.invoice);
    write_invoice_json(w, s, ctx, inv, "subscription", &customer_text);
  }
  return out;
}

}  // namespace

namespace ops {

ordered_json compare_plans(json& doc) {
  Snapshot s = parse_snapshot(doc, RequestKind::usage);
  const Subscription& found = active_subscription_for_request(s);
  const std::vector<const Plan*> plans = plans_to_compare(s, found);
  const size_t index = static_cast<size_t>(&found - s.subscriptions.data());
  const Subscription original = found;
  // No successor of the same external id (a scheduled downgrade) takes part.
  for (auto& o : s.subscriptions)
    if (&o != &found && o.external_id == original.external_id && o.status == SubscriptionStatus::pending)
      o.status = SubscriptionStatus::canceled;
  PreviewRequest req;
  req.external_ids = {original.external_id};
  s.preview_request = std::move(req);

  // Plans charging the same metric over the same window aggregate its events once.
  AggregationCache cache;
  std::vector<Priced> priced;
  priced.reserve(plans.size());
  size_t size = 0;  // the invoices are alike: each takes about the size of the one before
  std::string customer_text;
  for (const Plan* p : plans) {
    priced.push_back(price_on(s, index, original, *p, cache, size + size / 8, customer_text));
    size = priced.back().invoice.size();
  }
  std::stable_sort(priced.begin(), priced.end(), [](const Priced& a, const Priced& b) {
    return a.projected != b.projected ? a.projected < b.projected : *a.code < *b.code;
  });
  // Written as text: the invoices are, and nothing reads this document back.
  std::string text;
  size_t total = 32;
  for (const auto& p : priced) total += p.invoice.size() + p.code->size() + 128;
  text.reserve(total);
  {
    JsonText w(text);
    w.begin_object();
    w.begin_array("plans");
    for (const auto& p : priced) {
      w.begin_object();
      w.field("plan_code", *p.code);
      w.field("total_amount_cents", p.total);
      w.field("projected_total_amount_cents", p.projected);
      w.key("invoice");
      w.raw(p.invoice);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  return raw_json(text);
}

}  // namespace ops
}  // namespace tariff
