// projected_usage (SEMANTICS §14.2 with Decisions fix 2): the current usage of each charge
// projected to the end of its window. ratio = days(from, now) / days(from, to) over the
// charges window, clamped to [0, 1]; recurring metrics are not scaled; every bucket (the
// default one included) is projected and summed into the charge and the top level.
#include <algorithm>

#include "operations/operations.hpp"
#include "usage/current_usage.hpp"
#include "usage/subscription_dates.hpp"

namespace tariff {
namespace {

using ojson = nlohmann::ordered_json;

struct Projection {
  Decimal units;
  int64_t amount_cents = 0;
};

// elapsed / total kept as a fraction (charge_models divides by it once).
Ratio projection_ratio(const UsageComputation& uc, Instant now) {
  const Windows& w = uc.windows;
  if (now >= w.charges_to) return Ratio();
  const int64_t total = day_count(w.charges_from, w.charges_to, uc.dates.tz);
  const int64_t elapsed = day_count(w.charges_from, now, uc.dates.tz);
  if (total <= 0) return Ratio();
  return Ratio(Decimal(std::clamp<int64_t>(elapsed, 0, total)), Decimal(total));
}

Projection project(const ChargeFee& fee, const Charge& charge, const Ratio& ratio, const Currency& cur) {
  Projection p;
  if (charge.metric->recurring) {
    p.units = fee.units;
    p.amount_cents = fee.amount_cents;
    return p;
  }
  const ChargeProperties& props = fee.filter ? fee.filter->properties : charge.properties;
  const ProjectedCharge pc = project_charge(props, fee.agg.usage, ratio);
  ChargeFee priced;
  priced.model.amount = pc.amount.is_negative() ? Decimal() : pc.amount;
  price_fee(priced, &charge, cur);
  p.units = pc.units;
  p.amount_cents = std::max<int64_t>(priced.amount_cents, 0);
  return p;
}

// Inserts projected_units / projected_amount_cents after units / amount_cents of an entry.
// Lago's ProjectedChargeUsageSerializer has no total_aggregated_units at any level.
ojson with_projection(const ojson& entry, const Projection& p) {
  ojson out;
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    if (it.key() == "total_aggregated_units") continue;
    out[it.key()] = it.value();
    if (it.key() == "units") out["projected_units"] = decimal_json(p.units);
    if (it.key() == "amount_cents") out["projected_amount_cents"] = p.amount_cents;
  }
  return out;
}

}  // namespace

namespace ops {

ordered_json projected_usage(json& doc) {
  const Snapshot s = parse_snapshot(doc, RequestKind::usage);
  const Subscription& sub = active_subscription_for_request(s);
  const UsageComputation uc = compute_usage(s, sub);
  const Currency& cur = sub.plan->currency;
  const Ratio ratio = projection_ratio(uc, s.now);

  int64_t projected_total = 0;
  ordered_json charges = ordered_json::array();
  for (const auto& pc : uc.charges) {
    std::vector<Projection> per_fee;
    Projection charge_total;
    for (const auto& f : pc.fees) {
      per_fee.push_back(project(f, *pc.charge, ratio, cur));
      charge_total.units += per_fee.back().units;
      charge_total.amount_cents = add_cents(charge_total.amount_cents, per_fee.back().amount_cents);
    }
    projected_total = add_cents(projected_total, charge_total.amount_cents);
    ojson usage = with_projection(charge_usage_json(*pc.charge, pc.fees, cur), charge_total);
    // Breakdowns: filters follow the charge's filter order then the default bucket, exactly
    // the order charge_usage_json emits; groups in first-appearance order.
    auto sum_where = [&](auto pred) {
      Projection t;
      for (size_t i = 0; i < pc.fees.size(); ++i)
        if (pred(pc.fees[i])) {
          t.units += per_fee[i].units;
          t.amount_cents = add_cents(t.amount_cents, per_fee[i].amount_cents);
        }
      return t;
    };
    auto project_filters = [&](ojson& filters, auto in_scope) {
      size_t k = 0;
      for (size_t i = 0; i <= pc.charge->filters.size() && k < filters.size(); ++i) {
        const ChargeFilter* f = i < pc.charge->filters.size() ? &pc.charge->filters[i] : nullptr;
        bool any = false;
        for (const auto& fee : pc.fees) any |= fee.filter == f && in_scope(fee);
        if (!any) continue;
        filters[k] = with_projection(filters[k], sum_where([&](const ChargeFee& fee) { return fee.filter == f && in_scope(fee); }));
        ++k;
      }
    };
    project_filters(usage["filters"], [](const ChargeFee&) { return true; });
    for (auto& g : usage["grouped_usage"]) {
      auto in_group = [&](const ChargeFee& fee) {
        for (const auto& [k, v] : fee.grouped_by) {
          const ojson& want = g["grouped_by"][k];
          if (v ? want != ojson(*v) : !want.is_null()) return false;
        }
        return true;
      };
      ojson filters = g["filters"];
      project_filters(filters, in_group);
      g = with_projection(g, sum_where(in_group));
      g["filters"] = filters;
    }
    charges.push_back(std::move(usage));
  }
  ordered_json u = usage_head(uc, cur, usage_totals(s, sub, uc), projected_total);
  u["charges_usage"] = std::move(charges);
  ordered_json out;
  out["customer_projected_usage"] = std::move(u);
  return out;
}

}  // namespace ops
}  // namespace tariff
