// The invoice's JSON (SEMANTICS §12): Lago's Invoice, Fee and Subscription objects as the
// preview endpoint serializes them, with null ids. Decimal strings print as Ruby BigDecimal
// does ("2.0"); precise amounts are in major units (precise cents / subunit).
#include <cstdlib>

#include "invoice/preview.hpp"

namespace tariff {
namespace {

ojson null_or(const std::optional<std::string>& v) { return v ? ojson(*v) : ojson(nullptr); }
ojson dec(const Decimal& d) { return d.to_string(); }

}  // namespace

// Lago's API types tax rates as JSON numbers (a float column). The rate is display only, never
// used in arithmetic here: its exact decimal text is turned into the nearest double, which
// prints back as the same text ("20.0", "2.5") for any rate of up to 15 significant digits.
ojson rate_json(const Decimal& rate) { return std::strtod(rate.to_string().c_str(), nullptr); }

namespace {

ojson item_json(const InvoiceFee& f) {
  ojson item;
  item["type"] = fee_kind_name(f.kind);
  const Plan& plan = *f.sub->plan;
  ojson filters = nullptr, filter_name = nullptr, grouped_by = ojson::object();
  switch (f.kind) {
    case FeeKind::subscription:
      item["code"] = plan.code;
      item["name"] = plan.name;
      item["invoice_display_name"] = plan.invoice_display_name ? *plan.invoice_display_name : plan.name;
      break;
    case FeeKind::charge: {
      const BillableMetric& m = *f.charge->metric;
      item["code"] = m.code;
      item["name"] = m.name;
      item["invoice_display_name"] = f.charge->invoice_display_name ? *f.charge->invoice_display_name : m.name;
      if (f.filter) {
        filters = ojson::object();
        for (const auto& [k, v] : f.filter->raw_values) filters[k] = v;
        if (f.filter->has_display_name) filter_name = f.filter->invoice_display_name;
      }
      for (const auto& [k, v] : f.grouped_by) grouped_by[k] = null_or(v);
      break;
    }
    case FeeKind::fixed_charge:
      item["code"] = f.fixed->add_on_code;
      item["name"] = f.fixed->add_on_name.empty() ? f.fixed->add_on_code : f.fixed->add_on_name;
      item["invoice_display_name"] = f.fixed->invoice_display_name ? ojson(*f.fixed->invoice_display_name) : ojson(item["name"]);
      break;
    case FeeKind::commitment: {
      const auto& mc = *plan.minimum_commitment;
      item["code"] = "minimum_commitment";
      item["name"] = mc.invoice_display_name ? *mc.invoice_display_name : std::string("Minimum commitment");
      item["invoice_display_name"] = item["name"];
      break;
    }
  }
  item["filters"] = filters;
  item["filter_invoice_display_name"] = filter_name;
  item["grouped_by"] = grouped_by;
  return item;
}

}  // namespace

const char* fee_kind_name(FeeKind k) {
  switch (k) {
    case FeeKind::subscription: return "subscription";
    case FeeKind::charge: return "charge";
    case FeeKind::fixed_charge: return "fixed_charge";
    case FeeKind::commitment: return "commitment";
  }
  return "subscription";
}

std::string InvoiceFee::metric_code() const {
  return kind == FeeKind::charge && charge && charge->metric ? charge->metric->code : std::string();
}

ojson fee_json(const InvoiceFee& f, const Currency& cur) {
  const Decimal sub_total_precise = f.precise_amount_cents - f.precise_coupons_amount_cents;
  ojson o;
  o["lago_id"] = nullptr;
  o["amount_cents"] = f.amount_cents;
  o["precise_amount"] = dec(cur.from_cents(f.precise_amount_cents));
  o["taxes_amount_cents"] = f.fee_taxes.amount_cents;
  o["taxes_precise_amount"] = dec(cur.from_cents(f.fee_taxes.precise));
  o["taxes_rate"] = rate_json(f.fee_taxes.rate);
  o["total_amount_cents"] = add_cents(f.amount_cents, f.fee_taxes.amount_cents);
  o["precise_total_amount"] = dec(cur.from_cents(f.precise_amount_cents + f.fee_taxes.precise));
  o["units"] = dec(f.units);
  o["total_aggregated_units"] = dec(f.total_aggregated_units);
  o["events_count"] = f.events_count;
  o["unit_amount_cents"] = f.unit_amount_cents;
  o["precise_unit_amount"] = dec(f.precise_unit_amount);
  o["precise_coupons_amount_cents"] = dec(f.precise_coupons_amount_cents);
  o["sub_total_excluding_taxes_amount_cents"] = to_cents(f.base_cents());
  o["sub_total_excluding_taxes_precise_amount_cents"] = dec(sub_total_precise);
  o["amount_currency"] = std::string(cur.code);
  o["pay_in_advance"] = f.pay_in_advance;
  o["invoiceable"] = f.invoiceable;
  o["from_date"] = format_instant(f.from);
  o["to_date"] = format_instant(f.to);
  o["amount_details"] = f.amount_details;
  o["item"] = item_json(f);
  o["pricing_unit_details"] = f.pricing_unit_details ? *f.pricing_unit_details : ojson(nullptr);
  o["lago_true_up_parent_fee_id"] = nullptr;
  return o;
}

ojson subscription_json(const Subscription& sub) {
  auto instant = [](const std::optional<Instant>& t) { return t ? ojson(format_instant(*t)) : ojson(nullptr); };
  const char* status = "active";
  switch (sub.status) {
    case SubscriptionStatus::active: status = "active"; break;
    case SubscriptionStatus::pending: status = "pending"; break;
    case SubscriptionStatus::terminated: status = "terminated"; break;
    case SubscriptionStatus::canceled: status = "canceled"; break;
  }
  ojson o;
  o["lago_id"] = nullptr;
  o["external_id"] = sub.external_id.empty() ? ojson(nullptr) : ojson(sub.external_id);
  o["name"] = sub.name.empty() ? ojson(nullptr) : ojson(sub.name);
  o["plan_code"] = sub.plan_code;
  o["status"] = status;
  o["billing_time"] = sub.billing_time == BillingTime::anniversary ? "anniversary" : "calendar";
  o["subscription_at"] = format_instant(sub.subscription_at);
  o["started_at"] = instant(sub.started_at);
  o["ending_at"] = instant(sub.ending_at);
  o["terminated_at"] = instant(sub.terminated_at);
  return o;
}

}  // namespace tariff
