// The invoice's JSON (SEMANTICS §12): Lago's Invoice, Fee and Subscription objects as the
// preview endpoint serializes them, with null ids. Decimal strings print as Ruby BigDecimal
// does ("2.0"); precise amounts are in major units (precise cents / subunit).
#include <cstdlib>

#include "core/json_object.hpp"
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
  const Plan& plan = *f.sub->plan;
  ojson code, name, display_name;
  ojson filters = nullptr, filter_name = nullptr, grouped_by = ojson::object();
  ojson item_id = nullptr;
  const char* item_type = "Subscription";
  switch (f.kind) {
    case FeeKind::subscription:
    case FeeKind::commitment:  // neither charge, add-on nor credit: the subscription's plan
      code = plan.code;
      name = plan.name;
      if (f.kind == FeeKind::commitment) {
        const auto& mc = *plan.minimum_commitment;
        display_name = mc.invoice_display_name ? *mc.invoice_display_name : std::string("Minimum commitment");
      } else {
        display_name = plan.invoice_display_name ? *plan.invoice_display_name : plan.name;
      }
      item_id = id_or_null(f.sub->lago_id);
      break;
    case FeeKind::charge: {
      const BillableMetric& m = *f.charge->metric;
      code = m.code;
      name = m.name;
      display_name = f.charge->invoice_display_name ? *f.charge->invoice_display_name : m.name;
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
      code = f.fixed->add_on_code;
      name = f.fixed->add_on_name.empty() ? f.fixed->add_on_code : f.fixed->add_on_name;
      display_name = f.fixed->invoice_display_name ? ojson(*f.fixed->invoice_display_name) : name;
      item_id = id_or_null(f.fixed->add_on_id);  // Fee#item_id: fixed_charge_add_on.id
      item_type = "AddOn";
      break;
  }
  JsonObject item(10);
  item.add("type", fee_kind_name(f.kind))
      .add("code", std::move(code))
      .add("name", std::move(name))
      .add("invoice_display_name", std::move(display_name))
      .add("description", nullptr)
      .add("filters", std::move(filters))
      .add("filter_invoice_display_name", std::move(filter_name))
      .add("lago_item_id", std::move(item_id))
      .add("item_type", item_type)
      .add("grouped_by", std::move(grouped_by));
  return item.take();
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
  JsonObject o(52);
  o.add("lago_id", nullptr);
  o.add("lago_charge_id", charge && f.charge ? id_or_null(f.charge->lago_id) : ojson(nullptr));
  o.add("lago_charge_filter_id", nullptr);
  o.add("lago_fixed_charge_id", f.kind == FeeKind::fixed_charge && f.fixed ? id_or_null(f.fixed->lago_id) : ojson(nullptr));
  o.add("lago_invoice_id", nullptr);
  o.add("lago_true_up_fee_id", nullptr);
  o.add("lago_true_up_parent_fee_id", nullptr);
  o.add("lago_subscription_id", id_or_null(f.sub->lago_id));
  o.add("external_subscription_id", id_or_null(f.sub->external_id));
  o.add("lago_customer_id", customer ? id_or_null(customer->lago_id) : ojson(nullptr));
  o.add("external_customer_id", customer ? id_or_null(customer->external_id) : ojson(nullptr));
  o.add("item", item_json(f));
  o.add("pay_in_advance", f.pay_in_advance);
  o.add("invoiceable", f.invoiceable);
  o.add("amount_cents", f.amount_cents);
  o.add("amount_currency", std::string(cur.code));
  o.add("precise_amount", dec(cur.from_cents(f.precise_amount_cents)));
  o.add("precise_total_amount", dec(cur.from_cents(f.precise_amount_cents + f.fee_taxes.precise)));
  o.add("taxes_amount_cents", f.fee_taxes.amount_cents);
  o.add("taxes_precise_amount", dec(cur.from_cents(f.fee_taxes.precise)));
  o.add("taxes_rate", rate_json(f.fee_taxes.rate));
  o.add("total_aggregated_units", plan_fee ? ojson(nullptr) : dec(f.total_aggregated_units));
  o.add("total_amount_cents", add_cents(f.amount_cents, f.fee_taxes.amount_cents));
  o.add("total_amount_currency", std::string(cur.code));
  o.add("units", dec(f.units));
  o.add("description", nullptr);
  o.add("precise_unit_amount", dec(f.precise_unit_amount));
  o.add("precise_coupons_amount_cents", dec(f.precise_coupons_amount_cents));
  o.add("sub_total_excluding_taxes_amount_cents", to_cents(f.base_cents()));
  o.add("sub_total_excluding_taxes_precise_amount_cents", dec(sub_total_precise));
  o.add("events_count", charge ? ojson(f.events_count) : ojson(nullptr));
  o.add("payment_status", "pending");
  o.add("created_at", nullptr);
  o.add("succeeded_at", nullptr);
  o.add("failed_at", nullptr);
  o.add("refunded_at", nullptr);
  o.add("amount_details", f.amount_details);
  o.add("self_billed", false);
  // Lago sends null without a pricing unit; its document allows an object only: left out.
  if (f.pricing_unit_details) o.add("pricing_unit_details", *f.pricing_unit_details);
  o.add("from_date", format_instant(f.from));
  o.add("to_date", format_instant(f.to));
  if (charge && f.pay_in_advance) o.add("event_transaction_id", nullptr);
  if (explain) o.add("explanation", explain_fee(f, cur));
  return o.take();
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
  JsonObject o(24);
  o.add("lago_id", id_or_null(sub.lago_id));
  o.add("external_id", id_or_null(sub.external_id));
  o.add("lago_customer_id", customer ? id_or_null(customer->lago_id) : ojson(nullptr));
  o.add("external_customer_id", customer ? id_or_null(customer->external_id) : ojson(nullptr));
  o.add("name", sub.name.empty() ? ojson(nullptr) : ojson(sub.name));
  o.add("plan_code", sub.plan_code);
  o.add("plan_amount_cents", sub.plan->amount_cents);
  o.add("plan_amount_currency", std::string(sub.plan->currency.code));
  o.add("status", status);
  o.add("billing_time", sub.billing_time == BillingTime::anniversary ? "anniversary" : "calendar");
  o.add("subscription_at", format_instant(sub.subscription_at));
  o.add("started_at", std::move(started));
  o.add("trial_ended_at", nullptr);
  o.add("ending_at", instant(sub.ending_at));
  o.add("terminated_at", instant(sub.terminated_at));
  o.add("canceled_at", nullptr);
  o.add("created_at", format_instant(sub.created_at.value_or(sub.subscription_at)));
  o.add("previous_plan_code", nullptr);
  o.add("next_plan_code", nullptr);
  o.add("downgrade_plan_date", nullptr);
  o.add("current_billing_period_started_at", std::move(from));
  o.add("current_billing_period_ending_at", std::move(to));
  o.add("on_termination_credit_note", nullptr);
  o.add("on_termination_invoice", "generate");
  return o.take();
}

// Lago's V1::CustomerSerializer (the plain customer an invoice embeds), from the preview's
// customer: its ids and the fields the request or snapshot give; what a snapshot does not
// hold (sequential id, slug, creation time of a stored customer) is null. A new customer is
// created now, as Lago's preview builds it.
ojson customer_json(const PreviewContext& ctx, const Customer* stored, Instant now) {
  const ojson& c = ctx.customer;
  auto field = [&](const char* k) { return c.contains(k) ? c.at(k) : ojson(nullptr); };
  JsonObject o(19);
  o.add("lago_id", stored ? id_or_null(stored->lago_id) : ojson(nullptr));
  o.add("external_id", field("external_id"));
  o.add("account_type", "customer");
  o.add("name", field("name"));
  o.add("firstname", nullptr);
  o.add("lastname", nullptr);
  o.add("customer_type", nullptr);
  o.add("sequential_id", nullptr);
  o.add("slug", nullptr);
  const ojson created = stored ? ojson(nullptr) : ojson(format_instant(now));
  o.add("created_at", created);
  o.add("updated_at", created);
  o.add("currency", field("currency"));
  o.add("timezone", field("timezone"));
  o.add("applicable_timezone", ctx.tz.name());
  o.add("net_payment_term", ctx.net_payment_term);
  o.add("finalize_zero_amount_invoice", "inherit");
  o.add("billing_configuration", {{"invoice_grace_period", ctx.grace_period},
                                  {"subscription_invoice_issuing_date_anchor", nullptr},
                                  {"subscription_invoice_issuing_date_adjustment", nullptr}});
  o.add("skip_invoice_custom_sections", false);
  o.add("metadata", ojson::array());
  o.add("integration_customers", ojson::array());
  return o.take();
}

}  // namespace tariff
