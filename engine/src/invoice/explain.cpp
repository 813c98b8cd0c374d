// explain_fee (see explain.hpp): lines read from what the fee builders computed.
//
// Line types, amounts in the fee's currency (major units):
//   subscription            plan amount, and days / period days when prorated
//   units                   standard: units × unit_amount; a prorated charge's lines (units,
//                           volume_tier, prorated_graduated) add prorated_units, units_by_days
//                           (units and the days each is billed for) and period_days
//   graduated_tier          graduated: per tier units × unit_amount + flat_amount
//   graduated_percentage_tier   per tier units × rate % + flat_amount
//   volume_tier, flat_fee   volume: every unit at the price of its range, + the range's flat
//   free_units, packages    package: free units (0), ceil(paid / size) packages × amount
//   free_units, percentage, fixed_fee, per_transaction_min_max
//                           percentage: units past the free ones × rate %, the fixed fee per
//                           paying event, what the per-transaction min/max clamps added
//   dynamic                 Σ the events' precise_total_amount_cents
//   prorated_graduated      graduated over prorated units (Lago's prorated walk)
//   pricing_unit_conversion a pricing-unit fee: the lines above are in the pricing unit
//                           (pricing_unit_amount) converted at the rate (amount); this line is
//                           the PU total rounded to cents, converted
//   charge_minimum, charge_fees   a per-charge minimum true-up: the prorated minimum, minus the
//                           charge's fees
//   minimum_commitment, fees_in_period   the commitment (prorated), minus the period's fees
//   negative_amount_zeroed  the model's amount was negative: the fee is 0 (§3.13)
//   billed_before_event     a pay-in-advance fee: the period's amount with the event, minus
//                           what the period's earlier events were billed
#include "invoice/explain.hpp"

#include <functional>
#include <map>

#include "charge_models/models.hpp"

namespace tariff {
namespace {

Decimal dec_of(const ojson& v) {
  if (v.is_string()) return Decimal::parse(v.get<std::string>()).value_or(Decimal());
  if (v.is_number_integer()) return Decimal(v.get<int64_t>());
  return Decimal();
}

ojson text(const Decimal& d) { return d.to_string(); }

ojson line(const char* type) {
  ojson l;
  l["type"] = type;
  return l;
}

void add(ojson& lines, ojson l, const Decimal& amount) {
  l["amount"] = text(amount);
  lines.push_back(std::move(l));
}

Decimal sum(const ojson& lines) {
  Decimal s;
  for (const auto& l : lines) s += Decimal::parse(l["amount"].get<std::string>()).value_or(Decimal());
  return s;
}

void proration(ojson& l, const InvoiceFee& f) {
  if (f.explain_period_days <= 0) return;
  l["days"] = f.explain_days;
  l["period_days"] = f.explain_period_days;
}

// A prorated charge (§2.3/§2.4): each value billed for the days from its event to the window's
// end (the carried total for the whole window), summed per day count, most days first: days
// over the period's days, prorated_units = ceil(Σ units × days / period_days, 5).
//   10 GB added 2024-03-17, March (31 days): units_by_days [{10, 15}] → 150 / 31 = 4.83871
// A prorated unique count sums each value's active days (no split per value): prorated units
// and period days only.
void prorated_usage(ojson& l, const InvoiceFee& f) {
  if (f.explain_prorated_period_days <= 0) return;
  std::map<int64_t, Decimal, std::greater<int64_t>> by_days;
  for (const auto& [full, prorated] : f.explain_prorated)
    if (!full.is_zero()) by_days[(prorated / full).truncate(0).to_int64()] += full;  // p = full × days
  l["prorated_units"] = text(f.explain_prorated_units);
  if (!f.explain_prorated.empty()) {
    ojson parts = ojson::array();
    for (const auto& [days, units] : by_days) {
      ojson part;
      part["units"] = text(units);
      part["days"] = days;
      parts.push_back(std::move(part));
    }
    l["units_by_days"] = std::move(parts);
  }
  l["period_days"] = f.explain_prorated_period_days;
}

// The charge model's lines, in the model's currency (the fee's, or its pricing unit), read from
// amount_details; they sum to the model's amount.
ojson model_lines(const ChargeProperties& p, const InvoiceFee& f, const Decimal& model_amount, bool prorated) {
  ojson lines = ojson::array();
  const ojson& d = f.explain_details ? *f.explain_details : f.amount_details;
  const Decimal& units = f.explain_units ? *f.explain_units : f.units;
  // The amount the single-line models price: the fee's, or with the event for an estimate.
  const Decimal whole = f.explain_details ? model_amount + f.explain_before : model_amount;
  switch (p.model) {
    case ChargeModel::standard: {
      ojson l = line("units");
      l["units"] = text(units);
      l["unit_amount"] = text(p.amount);
      proration(l, f);
      prorated_usage(l, f);
      add(lines, std::move(l), whole);  // units × amount (prorated: prorated units × amount)
      break;
    }
    case ChargeModel::graduated:
      if (prorated || !d.contains("graduated_ranges")) {
        ojson l = line("prorated_graduated");
        l["units"] = text(units);
        proration(l, f);
        prorated_usage(l, f);
        add(lines, std::move(l), whole);
        break;
      }
      for (const auto& r : d["graduated_ranges"]) {
        ojson l = line("graduated_tier");
        l["from_value"] = r["from_value"];
        l["to_value"] = r["to_value"];
        l["units"] = r["units"];
        l["unit_amount"] = r["per_unit_amount"];
        l["flat_amount"] = r["flat_unit_amount"];
        add(lines, std::move(l), dec_of(r["total_with_flat_amount"]));  // 10 × 1.00 + 2.00 = 12.00
      }
      break;
    case ChargeModel::graduated_percentage:
      for (const auto& r : d.value("graduated_percentage_ranges", ojson::array())) {
        ojson l = line("graduated_percentage_tier");
        l["from_value"] = r["from_value"];
        l["to_value"] = r["to_value"];
        l["units"] = r["units"];
        l["rate"] = r["rate"];
        l["flat_amount"] = r["flat_unit_amount"];
        add(lines, std::move(l), dec_of(r["total_with_flat_amount"]));
      }
      break;
    case ChargeModel::volume: {
      ojson l = line("volume_tier");
      l["units"] = text(units);
      l["unit_amount"] = d.value("per_unit_amount", ojson("0"));
      proration(l, f);
      prorated_usage(l, f);
      add(lines, std::move(l), dec_of(d.value("per_unit_total_amount", ojson("0"))));
      const Decimal flat = dec_of(d.value("flat_unit_amount", ojson("0")));
      if (!flat.is_zero()) add(lines, line("flat_fee"), flat);
      break;
    }
    case ChargeModel::package: {
      const Decimal free = dec_of(d.value("free_units", ojson("0")));
      if (free.is_positive()) {
        ojson l = line("free_units");
        l["units"] = text(free);
        add(lines, std::move(l), Decimal());
      }
      ojson l = line("packages");
      const Decimal paid = dec_of(d.value("paid_units", ojson("0")));
      l["units"] = text(paid);
      l["package_size"] = p.package_size;
      l["packages"] = text(paid.is_positive() ? charge_models::packages_for(paid, p.package_size) : Decimal());
      l["unit_amount"] = text(p.amount);
      add(lines, std::move(l), whole);  // ceil(paid / size) × amount
      break;
    }
    case ChargeModel::percentage: {
      const Decimal free = dec_of(d.value("free_units", ojson("0")));
      const int64_t free_events = d.value("free_events", int64_t{0});
      if (free.is_positive() || free_events > 0) {
        ojson l = line("free_units");
        l["units"] = text(free);
        l["events"] = free_events;
        add(lines, std::move(l), Decimal());
      }
      ojson pl = line("percentage");
      pl["units"] = d.value("paid_units", ojson("0"));
      pl["rate"] = text(p.rate);
      add(lines, std::move(pl), dec_of(d.value("per_unit_total_amount", ojson("0"))));
      const Decimal fixed = dec_of(d.value("fixed_fee_total_amount", ojson("0")));
      if (!fixed.is_zero()) {
        ojson l = line("fixed_fee");
        l["events"] = d.value("paid_events", int64_t{0});
        l["unit_amount"] = d.value("fixed_fee_unit_amount", ojson("0"));
        add(lines, std::move(l), fixed);
      }
      if (p.per_transaction_min_amount || p.per_transaction_max_amount) {
        ojson l = line("per_transaction_min_max");
        l["min_amount"] = p.per_transaction_min_amount ? text(*p.per_transaction_min_amount) : ojson(nullptr);
        l["max_amount"] = p.per_transaction_max_amount ? text(*p.per_transaction_max_amount) : ojson(nullptr);
        add(lines, std::move(l), dec_of(d.value("min_max_adjustment_total_amount", ojson("0"))));
      }
      break;
    }
    case ChargeModel::dynamic: {
      ojson l = line("dynamic");
      l["events"] = f.events_count;
      add(lines, std::move(l), whole);  // Σ precise_total_amount_cents / subunit
      break;
    }
  }
  // A pay-in-advance estimate: the lines above price the period with the event.
  if (f.explain_details) add(lines, line("billed_before_event"), -f.explain_before);
  // The §3.13 guard: a negative model amount bills 0 (only then: any other difference would
  // be a line missing, which the property test catches).
  const Decimal rest = model_amount - sum(lines);
  if (model_amount.is_zero() && !rest.is_zero()) add(lines, line("negative_amount_zeroed"), rest);
  return lines;
}

// A pricing-unit fee: the model lines converted at the rate, then the rounding of the PU total
// to cents converted as the last line (the fee's amount minus the converted lines).
void convert(ojson& lines, const ojson& pu, const Decimal& fee_amount) {
  const Decimal rate = dec_of(pu.value("conversion_rate", ojson("0")));
  Decimal pu_total;
  for (auto& l : lines) {
    const Decimal a = dec_of(l["amount"]);
    pu_total += a;
    l.erase("amount");
    l["pricing_unit_amount"] = text(a);
    l["amount"] = text(a * rate);
  }
  ojson c = line("pricing_unit_conversion");
  c["pricing_unit_code"] = pu.value("pricing_unit_code", ojson(nullptr));
  c["conversion_rate"] = text(rate);
  c["pricing_unit_amount"] = text(pu_total);
  c["rounded_pricing_unit_amount"] = text(pu_total.round(2));
  add(lines, std::move(c), fee_amount - sum(lines));
}

}  // namespace

ojson explain_fee(const InvoiceFee& f, const Currency& cur) {
  const Decimal amount = cur.from_cents(f.precise_amount_cents);  // the fee's precise_amount
  ojson lines = ojson::array();
  switch (f.kind) {
    case FeeKind::subscription: {
      ojson l = line("subscription");
      l["plan_amount"] = text(cur.from_cents(Decimal(f.sub->plan->amount_cents)));
      proration(l, f);  // plan amount × days / period days
      add(lines, std::move(l), amount);
      break;
    }
    case FeeKind::commitment: {
      const Decimal commitment = cur.from_cents(f.explain_minimum_cents);
      ojson l = line("minimum_commitment");
      l["commitment_amount"] = text(cur.from_cents(Decimal(f.sub->plan->minimum_commitment->amount_cents)));
      proration(l, f);
      add(lines, std::move(l), commitment);
      add(lines, line("fees_in_period"), amount - commitment);
      break;
    }
    case FeeKind::fixed_charge:
    case FeeKind::charge: {
      if (f.true_up) {
        const Decimal minimum = cur.from_cents(f.explain_minimum_cents);
        ojson l = line("charge_minimum");
        l["min_amount"] = text(cur.from_cents(*f.charge->min_amount_cents));
        proration(l, f);
        if (f.charge->pricing_unit) {  // the minimum is in the pricing unit: one line
          l["pricing_unit_code"] = f.charge->pricing_unit->code;
          add(lines, std::move(l), amount);
          break;
        }
        // min × days / period days − the charge's fees: the fraction is the line that rounds.
        add(lines, std::move(l), minimum);
        add(lines, line("charge_fees"), amount - minimum);
        break;
      }
      const ChargeProperties& p = f.kind == FeeKind::fixed_charge ? f.fixed->properties
                                  : f.filter                        ? f.filter->properties
                                                                    : f.charge->properties;
      const bool prorated = f.kind == FeeKind::fixed_charge ? f.fixed->prorated
                                                           : f.charge->prorated && f.charge->metric->recurring;
      if (f.pricing_unit_details) {
        const ojson& pu = *f.pricing_unit_details;
        const Decimal pu_amount = dec_of(pu.value("precise_amount_cents", ojson("0"))) / Decimal(100);
        lines = model_lines(p, f, pu_amount, prorated);
        convert(lines, pu, amount);
      } else {
        lines = model_lines(p, f, amount, prorated);
      }
      break;
    }
  }
  return lines;
}

}  // namespace tariff
