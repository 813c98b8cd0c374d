// The invoice's JSON (SEMANTICS §12): Lago's Invoice, Fee and Subscription objects as the
// preview endpoint serializes them, with null ids. Decimal strings print as Ruby BigDecimal
// does ("2.0"); precise amounts are in major units (precise cents / subunit).
#include <cstdlib>

#include "invoice/explain.hpp"
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

ojson id_or_null(const std::string& id) { return id.empty() ? ojson(nullptr) : ojson(id); }

// Lago's ChargeFilter#display_name: the filter's invoice_display_name if present, else its
// values in order, a key standing for "all its values" (__ALL_FILTER_VALUES__), joined ", ".
std::string filter_display_name(const ChargeFilter& f) {
  if (f.has_display_name && !f.invoice_display_name.empty()) return f.invoice_display_name;
  std::string out;
  auto add = [&](const std::string& part) {
    if (!out.empty()) out += ", ";
    out += part;
  };
  for (const auto& [key, values] : f.raw_values) {
    if (values.size() == 1 && values[0] == "__ALL_FILTER_VALUES__") {
      add(key);
      continue;
    }
    for (const auto& v : values) add(v);
  }
  return out;
}

// Lago's Fee#item_* (app/models/fee.rb): what the fee is for, by kind.
ojson item_json(const InvoiceFee& f) {
  ojson item;
  item["type"] = fee_kind_name(f.kind);
  const Plan& plan = *f.sub->plan;
  ojson filters = nullptr, filter_name = nullptr, grouped_by = ojson::object();
  ojson item_id = nullptr;
  const char* item_type = "Subscription";
  switch (f.kind) {
    case FeeKind::subscription:
    case FeeKind::commitment:  // neither charge, add-on nor credit: the subscription's plan
      item["code"] = plan.code;
      item["name"] = plan.name;
      if (f.kind == FeeKind::commitment) {
        const auto& mc = *plan.minimum_commitment;
        item["invoice_display_name"] = mc.invoice_display_name ? *mc.invoice_display_name : std::string("Minimum commitment");
      } else {
        item["invoice_display_name"] = plan.invoice_display_name ? *plan.invoice_display_name : plan.name;
      }
      item_id = id_or_null(f.sub->lago_id);
      break;
    case FeeKind::charge: {
      const BillableMetric& m = *f.charge->metric;
      item["code"] = m.code;
      item["name"] = m.name;
      item["invoice_display_name"] = f.charge->invoice_display_name ? *f.charge->invoice_display_name : m.name;
      if (f.filter) {
        filters = ojson::object();
        for (const auto& [k, v] : f.filter->raw_values) filters[k] = v;
        filter_name = filter_display_name(*f.filter);
      }
      for (const auto& [k, v] : f.grouped_by) grouped_by[k] = null_or(v);
      item_id = id_or_null(m.lago_id);
      item_type = "BillableMetric";
      break;
    }
    case FeeKind::fixed_charge:
      item["code"] = f.fixed->add_on_code;
      item["name"] = f.fixed->add_on_name.empty() ? f.fixed->add_on_code : f.fixed->add_on_name;
      item["invoice_display_name"] = f.fixed->invoice_display_name ? ojson(*f.fixed->invoice_display_name) : ojson(item["name"]);
      item_id = id_or_null(f.fixed->add_on_id);  // Fee#item_id: fixed_charge_add_on.id
      item_type = "AddOn";
      break;
  }
  item["description"] = nullptr;
  item["filters"] = filters;
  item["filter_invoice_display_name"] = filter_name;
  item["lago_item_id"] = item_id;
  item["item_type"] = item_type;
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

// Lago's V1::FeeSerializer, with the fields Lago's OpenAPI document gives a Fee. A preview's
// fees are never saved: their own ids, invoice id and times are null. Lago leaves
// events_count unset on subscription, commitment and fixed-charge fees, and
// total_aggregated_units on subscription and commitment fees: null, as Lago sends them.
ojson fee_json(const InvoiceFee& f, const Currency& cur, const Customer* customer, bool explain) {
  const Decimal sub_total_precise = f.precise_amount_cents - f.precise_coupons_amount_cents;
  const bool charge = f.kind == FeeKind::charge;
  const bool plan_fee = f.kind == FeeKind::subscription || f.kind == FeeKind::commitment;
  ojson o;
  o["lago_id"] = nullptr;
  o["lago_charge_id"] = charge && f.charge ? id_or_null(f.charge->lago_id) : ojson(nullptr);
  o["lago_charge_filter_id"] = nullptr;
  o["lago_fixed_charge_id"] = f.kind == FeeKind::fixed_charge && f.fixed ? id_or_null(f.fixed->lago_id) : ojson(nullptr);
  o["lago_invoice_id"] = nullptr;
  o["lago_true_up_fee_id"] = nullptr;
  o["lago_true_up_parent_fee_id"] = nullptr;
  o["lago_subscription_id"] = id_or_null(f.sub->lago_id);
  o["external_subscription_id"] = id_or_null(f.sub->external_id);
  o["lago_customer_id"] = customer ? id_or_null(customer->lago_id) : ojson(nullptr);
  o["external_customer_id"] = customer ? id_or_null(customer->external_id) : ojson(nullptr);
  o["item"] = item_json(f);
  o["pay_in_advance"] = f.pay_in_advance;
  o["invoiceable"] = f.invoiceable;
  o["amount_cents"] = f.amount_cents;
  o["amount_currency"] = std::string(cur.code);
  o["precise_amount"] = dec(cur.from_cents(f.precise_amount_cents));
  o["precise_total_amount"] = dec(cur.from_cents(f.precise_amount_cents + f.fee_taxes.precise));
  o["taxes_amount_cents"] = f.fee_taxes.amount_cents;
  o["taxes_precise_amount"] = dec(cur.from_cents(f.fee_taxes.precise));
  o["taxes_rate"] = rate_json(f.fee_taxes.rate);
  o["total_aggregated_units"] = plan_fee ? ojson(nullptr) : dec(f.total_aggregated_units);
  o["total_amount_cents"] = add_cents(f.amount_cents, f.fee_taxes.amount_cents);
  o["total_amount_currency"] = std::string(cur.code);
  o["units"] = dec(f.units);
  o["description"] = nullptr;
  o["precise_unit_amount"] = dec(f.precise_unit_amount);
  o["precise_coupons_amount_cents"] = dec(f.precise_coupons_amount_cents);
  o["sub_total_excluding_taxes_amount_cents"] = to_cents(f.base_cents());
  o["sub_total_excluding_taxes_precise_amount_cents"] = dec(sub_total_precise);
  o["events_count"] = charge ? ojson(f.events_count) : ojson(nullptr);
  o["payment_status"] = "pending";
  o["created_at"] = nullptr;
  o["succeeded_at"] = nullptr;
  o["failed_at"] = nullptr;
  o["refunded_at"] = nullptr;
  o["amount_details"] = f.amount_details;
  o["self_billed"] = false;
  // Lago sends null without a pricing unit; its document allows an object only: left out.
  if (f.pricing_unit_details) o["pricing_unit_details"] = *f.pricing_unit_details;
  o["from_date"] = format_instant(f.from);
  o["to_date"] = format_instant(f.to);
  if (charge && f.pay_in_advance) o["event_transaction_id"] = nullptr;
  if (explain) o["explanation"] = explain_fee(f, cur);
  return o;
}

// Lago's V1::SubscriptionSerializer, with what a snapshot knows: its ids, the plan's amount,
// the current billing period as Lago's DatesService gives it (current-usage mode at
// max(now, started_at); none before the subscription started), Lago's defaults for what a
// snapshot does not carry (no trial end, no plan-change links, termination invoice
// "generate"). The server answers its stored subscriptions with its own serializer.
ojson subscription_json(const BilledSubscription& b, const Customer* customer, Instant now) {
  const Subscription& sub = *b.sub;
  auto instant = [](const std::optional<Instant>& t) { return t ? ojson(format_instant(*t)) : ojson(nullptr); };
  const char* status = "active";
  switch (sub.status) {
    case SubscriptionStatus::active: status = "active"; break;
    case SubscriptionStatus::pending: status = "pending"; break;
    case SubscriptionStatus::terminated: status = "terminated"; break;
    case SubscriptionStatus::canceled: status = "canceled"; break;
  }
  ojson from = nullptr, to = nullptr;
  if (sub.started_at) {
    const Windows w = current_usage_windows(b.dates, std::max(now, *sub.started_at));
    if (w.charges_billed) {
      from = format_instant(w.charges_from);
      to = format_instant(w.charges_to);
    }
  }
  ojson started = nullptr;
  if (sub.started_at) {  // iso8601(3)
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(*sub.started_at);
    started = date::format("%FT%TZ", ms);
  }
  ojson o;
  o["lago_id"] = id_or_null(sub.lago_id);
  o["external_id"] = id_or_null(sub.external_id);
  o["lago_customer_id"] = customer ? id_or_null(customer->lago_id) : ojson(nullptr);
  o["external_customer_id"] = customer ? id_or_null(customer->external_id) : ojson(nullptr);
  o["name"] = sub.name.empty() ? ojson(nullptr) : ojson(sub.name);
  o["plan_code"] = sub.plan_code;
  o["plan_amount_cents"] = sub.plan->amount_cents;
  o["plan_amount_currency"] = std::string(sub.plan->currency.code);
  o["status"] = status;
  o["billing_time"] = sub.billing_time == BillingTime::anniversary ? "anniversary" : "calendar";
  o["subscription_at"] = format_instant(sub.subscription_at);
  o["started_at"] = started;
  o["trial_ended_at"] = nullptr;
  o["ending_at"] = instant(sub.ending_at);
  o["terminated_at"] = instant(sub.terminated_at);
  o["canceled_at"] = nullptr;
  o["created_at"] = format_instant(sub.created_at.value_or(sub.subscription_at));
  o["previous_plan_code"] = nullptr;
  o["next_plan_code"] = nullptr;
  o["downgrade_plan_date"] = nullptr;
  o["current_billing_period_started_at"] = from;
  o["current_billing_period_ending_at"] = to;
  o["on_termination_credit_note"] = nullptr;
  o["on_termination_invoice"] = "generate";
  return o;
}

// Lago's V1::CustomerSerializer (the plain customer an invoice embeds), from the preview's
// customer: its ids and the fields the request or snapshot give; what a snapshot does not
// hold (sequential id, slug, creation time of a stored customer) is null. A new customer is
// created now, as Lago's preview builds it.
ojson customer_json(const PreviewContext& ctx, const Customer* stored, Instant now) {
  const ojson& c = ctx.customer;
  auto field = [&](const char* k) { return c.contains(k) ? c.at(k) : ojson(nullptr); };
  ojson o;
  o["lago_id"] = stored ? id_or_null(stored->lago_id) : ojson(nullptr);
  o["external_id"] = field("external_id");
  o["account_type"] = "customer";
  o["name"] = field("name");
  o["firstname"] = nullptr;
  o["lastname"] = nullptr;
  o["customer_type"] = nullptr;
  o["sequential_id"] = nullptr;
  o["slug"] = nullptr;
  o["created_at"] = stored ? ojson(nullptr) : ojson(format_instant(now));
  o["updated_at"] = o["created_at"];
  o["currency"] = field("currency");
  o["timezone"] = field("timezone");
  o["applicable_timezone"] = ctx.tz.name();
  o["net_payment_term"] = ctx.net_payment_term;
  o["finalize_zero_amount_invoice"] = "inherit";
  o["billing_configuration"] = {{"invoice_grace_period", ctx.grace_period},
                                {"subscription_invoice_issuing_date_anchor", nullptr},
                                {"subscription_invoice_issuing_date_adjustment", nullptr}};
  o["skip_invoice_custom_sections"] = false;
  o["metadata"] = ojson::array();
  o["integration_customers"] = ojson::array();
  return o;
}

}  // namespace tariff
