// current_usage (SEMANTICS §14.1): every charge of the active subscription over the
// current-usage window, zero fees kept, taxes as on an invoice, no true-up or commitment.
#include "usage/current_usage.hpp"

#include <algorithm>

#include "usage/taxes.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff {
namespace {

using ojson = nlohmann::ordered_json;

std::string lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

ojson null_or(const std::optional<std::string>& v) { return v ? ojson(*v) : ojson(nullptr); }

ojson filter_values(const ChargeFilter& f) {
  ojson v = ojson::object();
  for (const auto& [key, values] : f.raw_values) v[key] = values;
  return v;
}

struct Totals {
  Decimal units, total_units;
  int64_t events = 0, amount_cents = 0, pu_cents = 0;
  void add(const ChargeFee& f) {
    units += f.units;
    total_units += f.agg.total_aggregated_units;
    events = add_cents(events, f.agg.events_count);
    amount_cents = add_cents(amount_cents, f.amount_cents);
    if (f.pricing_unit_details) pu_cents = add_cents(pu_cents, (*f.pricing_unit_details)["amount_cents"].get<int64_t>());
  }
};

ojson pricing_unit_summary(const Charge& c, const Totals& t) {
  if (!c.pricing_unit) return nullptr;
  ojson d;
  d["amount_cents"] = t.pu_cents;
  d["short_name"] = c.pricing_unit->short_name;
  d["conversion_rate"] = decimal_json(c.pricing_unit->conversion_rate);
  return d;
}

// Filters breakdown of a set of fees: one per charge filter in order, then the default bucket.
ojson filters_json(const Charge& c, const std::vector<const ChargeFee*>& fees) {
  ojson out = ojson::array();
  if (c.filters.empty()) return out;
  for (size_t i = 0; i <= c.filters.size(); ++i) {
    const ChargeFilter* f = i < c.filters.size() ? &c.filters[i] : nullptr;
    Totals t;
    bool any = false;
    for (const ChargeFee* fee : fees)
      if (fee->filter == f) {
        t.add(*fee);
        any = true;
      }
    if (!any) continue;
    ojson e;
    e["units"] = decimal_json(t.units);
    e["total_aggregated_units"] = decimal_json(t.total_units);
    e["events_count"] = t.events;
    e["amount_cents"] = t.amount_cents;
    e["pricing_unit_details"] = pricing_unit_summary(c, t);
    e["invoice_display_name"] = f && f->has_display_name ? ojson(f->invoice_display_name) : ojson(nullptr);
    e["values"] = f ? filter_values(*f) : ojson(nullptr);
    out.push_back(std::move(e));
  }
  return out;
}

ojson grouped_by_json(const ChargeFee& f) {
  ojson g = ojson::object();
  for (const auto& [k, v] : f.grouped_by) g[k] = null_or(v);
  return g;
}

}  // namespace

ojson charge_usage_json(const Charge& c, const std::vector<ChargeFee>& fees, const Currency& cur) {
  Totals t;
  std::vector<const ChargeFee*> all;
  for (const auto& f : fees) {
    t.add(f);
    all.push_back(&f);
  }
  ojson u;
  u["units"] = decimal_json(t.units);
  u["total_aggregated_units"] = decimal_json(t.total_units);
  u["events_count"] = t.events;
  u["amount_cents"] = t.amount_cents;
  u["amount_currency"] = std::string(cur.code);
  u["pricing_unit_details"] = pricing_unit_summary(c, t);
  u["charge"] = {{"lago_id", c.lago_id.empty() ? ojson(nullptr) : ojson(c.lago_id)},
                 {"charge_model", charge_model_name(c.model)},
                 {"invoice_display_name", null_or(c.invoice_display_name)}};
  u["billable_metric"] = {{"lago_id", c.metric->lago_id.empty() ? ojson(nullptr) : ojson(c.metric->lago_id)},
                          {"name", c.metric->name},
                          {"code", c.metric->code},
                          {"aggregation_type", aggregation_name(c.metric->aggregation)}};
  u["filters"] = filters_json(c, all);
  ojson groups = ojson::array();
  const bool grouped = std::any_of(fees.begin(), fees.end(), [](const ChargeFee& f) { return f.grouped; });
  if (grouped) {
    std::vector<ojson> keys;
    std::vector<std::vector<const ChargeFee*>> members;
    for (const auto& f : fees) {
      ojson k = grouped_by_json(f);
      auto it = std::find(keys.begin(), keys.end(), k);
      if (it == keys.end()) {
        keys.push_back(k);
        members.emplace_back();
        it = keys.end() - 1;
      }
      members[static_cast<size_t>(it - keys.begin())].push_back(&f);
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      Totals gt;
      for (const ChargeFee* f : members[i]) gt.add(*f);
      ojson g;
      g["amount_cents"] = gt.amount_cents;
      g["events_count"] = gt.events;
      g["units"] = decimal_json(gt.units);
      g["total_aggregated_units"] = decimal_json(gt.total_units);
      g["pricing_unit_details"] = pricing_unit_summary(c, gt);
      g["grouped_by"] = keys[i];
      g["filters"] = filters_json(c, members[i]);
      groups.push_back(std::move(g));
    }
  }
  u["grouped_usage"] = groups;
  return u;
}

UsageComputation compute_usage(const Snapshot& s, const Subscription& sub) {
  UsageComputation uc;
  uc.dates = subscription_dates(s, sub);
  uc.windows = current_usage_windows(uc.dates, s.now);
  AggregationWindow w;
  w.from = uc.windows.charges_from;
  w.to = uc.windows.charges_to;
  w.charges_duration = uc.windows.charges_duration_days;
  w.tz = uc.dates.tz;
  w.values = &event_values(s);  // each event's value parsed once, for every charge
  uc.window = w;
  std::vector<const Charge*> charges;
  for (const auto& c : sub.plan->charges)
    if (c.metric) charges.push_back(&c);
  std::stable_sort(charges.begin(), charges.end(),
                   [](const Charge* a, const Charge* b) { return lower(a->metric->name) < lower(b->metric->name); });
  for (const Charge* c : charges) {
    UsageComputation::PerCharge pc;
    pc.charge = c;
    pc.fees = charge_fees(s, sub, *c, w, UsageMode::current_usage);
    uc.charges.push_back(std::move(pc));
  }
  return uc;
}

UsageTotals usage_totals(const Snapshot& s, const Subscription& sub, const UsageComputation& uc) {
  UsageTotals t;
  std::vector<TaxList> tax_lists;
  std::vector<Decimal> amounts;
  for (const auto& pc : uc.charges) {
    const TaxList taxes = select_taxes(pc.charge->taxes, *sub.plan, s);
    for (const auto& f : pc.fees) {
      t.amount_cents = add_cents(t.amount_cents, f.amount_cents);
      tax_lists.push_back(taxes);
      amounts.emplace_back(f.amount_cents);
    }
  }
  std::vector<TaxedBase> bases;
  for (size_t i = 0; i < amounts.size(); ++i) bases.push_back(TaxedBase{amounts[i], &tax_lists[i]});
  t.taxes_amount_cents = invoice_taxes(bases).amount_cents;
  return t;
}

ojson usage_head(const UsageComputation& uc, const Currency& cur, const UsageTotals& t,
                 std::optional<int64_t> projected) {
  ojson u;
  u["from_datetime"] = format_instant(uc.windows.charges_from);
  u["to_datetime"] = format_instant(uc.windows.charges_to);
  u["issuing_date"] = format_date(uc.dates.tz.local_date(uc.windows.to));  // Decisions fix 3: local date
  u["lago_invoice_id"] = nullptr;
  u["currency"] = std::string(cur.code);
  u["amount_cents"] = t.amount_cents;
  if (projected) u["projected_amount_cents"] = *projected;
  u["taxes_amount_cents"] = t.taxes_amount_cents;
  u["total_amount_cents"] = add_cents(t.amount_cents, t.taxes_amount_cents);
  return u;
}

}  // namespace tariff
