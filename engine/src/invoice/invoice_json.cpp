// The invoice's JSON (SEMANTICS §12): Lago's Invoice, Fee and Subscription objects as the
// preview endpoint serializes them, with null ids. Decimal strings print as Ruby BigDecimal
// does ("2.0"); precise amounts are in major units (precise cents / subunit).
//
// Each shape is written once, as a template over the writer (core/json_object.hpp): built as
// a tree for the operations that change what they built (bill's invoices, estimate_fees'
// fees), or written straight to text (compare_plans), the same bytes either way.
#include <cstdlib>

#include "core/json_object.hpp"
#include "core/json_write.hpp"
#include "invoice/explain.hpp"
#include "invoice/pipeline.hpp"
#include "invoice/preview.hpp"

namespace tariff {
namespace {

ojson null_or(const std::optional<std::string>& v) { return v ? ojson(*v) : ojson(nullptr); }

// Lago's API types tax rates as JSON numbers (a float column). The rate is display only, never
// used in arithmetic here: its exact decimal text is turned into the nearest double, which
// prints back as the same text ("20.0", "2.5") for any rate of up to 15 significant digits.
// A whole rate below 2^53 is that integer's double exactly (what strtod gives for its text).
double rate_number(const Decimal& rate) {
  static_assert(Decimal::kScale == 18, "10^18 per unit");
  constexpr int128 kUnit = 1000000000000000000;
  const int128 raw = rate.raw();
  if (raw % kUnit == 0 && raw / kUnit < (int128(1) << 53) && raw / kUnit > -(int128(1) << 53))
    return static_cast<double>(static_cast<int64_t>(raw / kUnit));
  char text[kDecimalChars + 1];
  *decimal_chars(text, rate) = '\0';
  return std::strtod(text, nullptr);
}

}  // namespace

ojson rate_json(const Decimal& rate) { return rate_number(rate); }

namespace {

// Ruby's iso8601(3): "2024-03-05T10:20:30.123Z" (milliseconds, floored); format_instant's
// text with the milliseconds put in, date::format's (a stream) for a year outside 0–9999.
std::string iso8601_ms(Instant t) {
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
  std::string text = format_instant(t);
  if (text.size() != 20 || text[0] == '-' || text[4] != '-') return date::format("%FT%TZ", ms);
  const auto part = static_cast<int>((ms.time_since_epoch().count() % 1000 + 1000) % 1000);
  const char digits[] = {'.', static_cast<char>('0' + part / 100), static_cast<char>('0' + part / 10 % 10),
                         static_cast<char>('0' + part % 10)};
  text.insert(19, digits, sizeof digits);
  return text;
}

// Cents to major units: Currency::from_cents, dividing by the subunit without the 256-bit
// division (the same result, core/json_write.hpp).
Decimal major(const Currency& cur, const Decimal& cents) {
  return cur.subunit_to_unit > 0 ? divide_small(cents, static_cast<std::uint32_t>(cur.subunit_to_unit))
                                 : cur.from_cents(cents);
}

// The text of the instant written last (an invoice's fees mostly share their dates).
struct InstantText {
  const std::string& of(Instant t) {
    if (!known || t != at) at = t, text = format_instant(t), known = true;
    return text;
  }
  Instant at{};
  std::string text;
  bool known = false;
};

// An id, null when empty.
const std::string* id(const std::string& v) { return v.empty() ? nullptr : &v; }

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
template <class W>
void write_item(W& w, const InvoiceFee& f) {
  const Plan& plan = *f.sub->plan;
  const std::string *code = nullptr, *name = nullptr, *display_name = nullptr;
  const std::string* item_id = nullptr;
  const char* display_literal = nullptr;  // Lago's default name of a commitment fee
  const char* item_type = "Subscription";
  switch (f.kind) {
    case FeeKind::subscription:
    case FeeKind::commitment:  // neither charge, add-on nor credit: the subscription's plan
      code = &plan.code;
      name = &plan.name;
      if (f.kind == FeeKind::commitment) {
        const auto& mc = *plan.minimum_commitment;
        if (mc.invoice_display_name) display_name = &*mc.invoice_display_name;
        else display_literal = "Minimum commitment";
      } else {
        display_name = plan.invoice_display_name ? &*plan.invoice_display_name : &plan.name;
      }
      item_id = id(f.sub->lago_id);
      break;
    case FeeKind::charge: {
      const BillableMetric& m = *f.charge->metric;
      code = &m.code;
      name = &m.name;
      display_name = f.charge->invoice_display_name ? &*f.charge->invoice_display_name : &m.name;
      item_id = id(m.lago_id);
      item_type = "BillableMetric";
      break;
    }
    case FeeKind::fixed_charge:
      code = &f.fixed->add_on_code;
      name = f.fixed->add_on_name.empty() ? &f.fixed->add_on_code : &f.fixed->add_on_name;
      display_name = f.fixed->invoice_display_name ? &*f.fixed->invoice_display_name : name;
      item_id = id(f.fixed->add_on_id);  // Fee#item_id: fixed_charge_add_on.id
      item_type = "AddOn";
      break;
  }
  w.begin_object();
  w.field("type", fee_kind_name(f.kind));
  w.field("code", *code);
  w.field("name", *name);
  if (display_literal) w.field("invoice_display_name", display_literal);
  else w.field("invoice_display_name", *display_name);
  w.field("description", nullptr);
  if (f.kind == FeeKind::charge && f.filter) {
    ojson filters = ojson::object();
    for (const auto& [k, v] : f.filter->raw_values) filters[k] = v;
    w.field("filters", std::move(filters));
    w.field("filter_invoice_display_name", filter_display_name(*f.filter));
  } else {
    w.field("filters", nullptr);
    w.field("filter_invoice_display_name", nullptr);
  }
  w.field("lago_item_id", item_id);
  w.field("item_type", item_type);
  if (f.kind == FeeKind::charge && !f.grouped_by.empty()) {
    ojson grouped_by = ojson::object();
    for (const auto& [k, v] : f.grouped_by) grouped_by[k] = null_or(v);
    w.field("grouped_by", std::move(grouped_by));
  } else {
    w.begin_object("grouped_by");
    w.end_object();
  }
  w.end_object();
}

// Lago's V1::FeeSerializer (decimals as Ruby's BigDecimal#to_s prints them, JSON strings), with the fields Lago's OpenAPI document gives a Fee. A preview's
// fees are never saved: their own ids, invoice id and times are null. Lago leaves
// events_count unset on subscription, commitment and fixed-charge fees, and
// total_aggregated_units on subscription and commitment fees: null, as Lago sends them.
template <class W>
void write_fee(W& w, const InvoiceFee& f, const Currency& cur, const Customer* customer, bool explain,
               InstantText& from_text, InstantText& to_text) {
  const Decimal sub_total_precise = f.precise_amount_cents - f.precise_coupons_amount_cents;
  const bool charge = f.kind == FeeKind::charge;
  const bool plan_fee = f.kind == FeeKind::subscription || f.kind == FeeKind::commitment;
  const std::string_view currency = cur.code;
  w.begin_object();
  w.field("lago_id", nullptr);
  w.field("lago_charge_id", charge && f.charge ? id(f.charge->lago_id) : nullptr);
  w.field("lago_charge_filter_id", nullptr);
  w.field("lago_fixed_charge_id", f.kind == FeeKind::fixed_charge && f.fixed ? id(f.fixed->lago_id) : nullptr);
  w.field("lago_invoice_id", nullptr);
  w.field("lago_true_up_fee_id", nullptr);
  w.field("lago_true_up_parent_fee_id", nullptr);
  w.field("lago_subscription_id", id(f.sub->lago_id));
  w.field("external_subscription_id", id(f.sub->external_id));
  w.field("lago_customer_id", customer ? id(customer->lago_id) : nullptr);
  w.field("external_customer_id", customer ? id(customer->external_id) : nullptr);
  w.key("item");
  write_item(w, f);
  w.field("pay_in_advance", f.pay_in_advance);
  w.field("invoiceable", f.invoiceable);
  w.field("amount_cents", f.amount_cents);
  w.field("amount_currency", currency);
  w.field("precise_amount", major(cur, f.precise_amount_cents));
  w.field("precise_total_amount", major(cur, f.precise_amount_cents + f.fee_taxes.precise));
  w.field("taxes_amount_cents", f.fee_taxes.amount_cents);
  w.field("taxes_precise_amount", major(cur, f.fee_taxes.precise));
  w.field("taxes_rate", rate_number(f.fee_taxes.rate));
  if (plan_fee) w.field("total_aggregated_units", nullptr);
  else w.field("total_aggregated_units", f.total_aggregated_units);
  w.field("total_amount_cents", add_cents(f.amount_cents, f.fee_taxes.amount_cents));
  w.field("total_amount_currency", currency);
  w.field("units", f.units);
  w.field("description", nullptr);
  w.field("precise_unit_amount", f.precise_unit_amount);
  w.field("precise_coupons_amount_cents", f.precise_coupons_amount_cents);
  w.field("sub_total_excluding_taxes_amount_cents",
          f.precise_coupons_amount_cents.is_zero() ? f.amount_cents : to_cents(f.base_cents()));
  w.field("sub_total_excluding_taxes_precise_amount_cents", sub_total_precise);
  if (charge) w.field("events_count", f.events_count);
  else w.field("events_count", nullptr);
  w.field("payment_status", "pending");
  w.field("created_at", nullptr);
  w.field("succeeded_at", nullptr);
  w.field("failed_at", nullptr);
  w.field("refunded_at", nullptr);
  w.field("amount_details", f.amount_details);
  w.field("self_billed", false);
  // Lago sends null without a pricing unit; its document allows an object only: left out.
  if (f.pricing_unit_details) w.field("pricing_unit_details", *f.pricing_unit_details);
  w.field("from_date", from_text.of(f.from));
  w.field("to_date", to_text.of(f.to));
  if (charge && f.pay_in_advance) w.field("event_transaction_id", nullptr);
  if (explain) w.field("explanation", explain_fee(f, cur));
  w.end_object();
}

// Lago's V1::SubscriptionSerializer, with what a snapshot knows: its ids, the plan's amount,
// the current billing period as Lago's DatesService gives it (current-usage mode at
// max(now, started_at); none before the subscription started), Lago's defaults for what a
// snapshot does not carry (no trial end, no plan-change links, termination invoice
// "generate"). The server answers its stored subscriptions with its own serializer.
template <class W>
void write_subscription(W& w, const BilledSubscription& b, const Customer* customer, Instant now) {
  const Subscription& sub = *b.sub;
  auto instant = [&](const auto& key, const std::optional<Instant>& t) {
    if (t) w.field(key, format_instant(*t));
    else w.field(key, nullptr);
  };
  const char* status = "active";
  switch (sub.status) {
    case SubscriptionStatus::active: status = "active"; break;
    case SubscriptionStatus::pending: status = "pending"; break;
    case SubscriptionStatus::terminated: status = "terminated"; break;
    case SubscriptionStatus::canceled: status = "canceled"; break;
  }
  std::optional<Instant> from, to;
  if (sub.started_at) {
    const Windows win = current_usage_windows(b.dates, std::max(now, *sub.started_at));
    if (win.charges_billed) {
      from = win.charges_from;
      to = win.charges_to;
    }
  }
  w.begin_object();
  w.field("lago_id", id(sub.lago_id));
  w.field("external_id", id(sub.external_id));
  w.field("lago_customer_id", customer ? id(customer->lago_id) : nullptr);
  w.field("external_customer_id", customer ? id(customer->external_id) : nullptr);
  w.field("name", id(sub.name));
  w.field("plan_code", sub.plan_code);
  w.field("plan_amount_cents", sub.plan->amount_cents);
  w.field("plan_amount_currency", std::string_view(sub.plan->currency.code));
  w.field("status", status);
  w.field("billing_time", sub.billing_time == BillingTime::anniversary ? "anniversary" : "calendar");
  w.field("subscription_at", format_instant(sub.subscription_at));
  if (sub.started_at) {
    w.field("started_at", iso8601_ms(*sub.started_at));
  } else {
    w.field("started_at", nullptr);
  }
  w.field("trial_ended_at", nullptr);
  instant("ending_at", sub.ending_at);
  instant("terminated_at", sub.terminated_at);
  w.field("canceled_at", nullptr);
  w.field("created_at", format_instant(sub.created_at.value_or(sub.subscription_at)));
  w.field("previous_plan_code", nullptr);
  w.field("next_plan_code", nullptr);
  w.field("downgrade_plan_date", nullptr);
  instant("current_billing_period_started_at", from);
  instant("current_billing_period_ending_at", to);
  w.field("on_termination_credit_note", nullptr);
  w.field("on_termination_invoice", "generate");
  w.end_object();
}

// Lago's V1::CustomerSerializer (the plain customer an invoice embeds), from the preview's
// customer: its ids and the fields the request or snapshot give; what a snapshot does not
// hold (sequential id, slug, creation time of a stored customer) is null. A new customer is
// created now, as Lago's preview builds it.
template <class W>
void write_customer(W& w, const PreviewContext& ctx, const Customer* stored, Instant now) {
  const ojson& c = ctx.customer;
  auto field = [&](const auto& k) {
    const auto it = c.find(k);
    if (it != c.end()) w.field(k, *it);
    else w.field(k, nullptr);
  };
  auto created = [&](const auto& k) {
    if (stored) w.field(k, nullptr);
    else w.field(k, format_instant(now));
  };
  w.begin_object();
  w.field("lago_id", stored ? id(stored->lago_id) : nullptr);
  field("external_id");
  w.field("account_type", "customer");
  field("name");
  w.field("firstname", nullptr);
  w.field("lastname", nullptr);
  w.field("customer_type", nullptr);
  w.field("sequential_id", nullptr);
  w.field("slug", nullptr);
  created("created_at");
  created("updated_at");
  field("currency");
  field("timezone");
  w.field("applicable_timezone", ctx.tz.name());
  w.field("net_payment_term", ctx.net_payment_term);
  w.field("finalize_zero_amount_invoice", "inherit");
  w.begin_object("billing_configuration");
  w.field("invoice_grace_period", ctx.grace_period);
  w.field("subscription_invoice_issuing_date_anchor", nullptr);
  w.field("subscription_invoice_issuing_date_adjustment", nullptr);
  w.end_object();
  w.field("skip_invoice_custom_sections", false);
  w.begin_array("metadata");
  w.end_array();
  w.begin_array("integration_customers");
  w.end_array();
  w.end_object();
}

// Lago's CreditSerializer: the item (the coupon, the credit note, the progressive billing
// invoice) and the invoice it is on.
template <class W>
void begin_credit(W& w, int64_t amount_cents, std::string_view currency, bool before_taxes) {
  w.begin_object();
  w.field("lago_id", nullptr);
  w.field("amount_cents", amount_cents);
  w.field("amount_currency", currency);
  w.field("before_taxes", before_taxes);
  w.begin_object("item");
}
template <class W>
void end_credit(W& w) {
  w.end_object();  // item
  w.begin_object("invoice");
  w.field("lago_id", nullptr);
  w.field("payment_status", "pending");
  w.end_object();
  w.end_object();
}

template <class W>
void write_invoice(W& w, const Snapshot& s, const PreviewContext& ctx, const ComputedInvoice& c,
                   const char* invoice_type, std::string* customer_text = nullptr) {
  const Currency& cur = ctx.currency;
  const std::string_view currency = cur.code;
  w.begin_object();
  w.field("lago_id", nullptr);
  w.field("billing_entity_code", nullptr);
  w.field("sequential_id", nullptr);
  w.field("number", nullptr);
  w.field("issuing_date", format_date(ctx.issuing_date));
  w.field("payment_due_date", format_date(ctx.issuing_date + date::days{ctx.net_payment_term}));
  w.field("net_payment_term", ctx.net_payment_term);
  w.field("invoice_type", invoice_type);
  w.field("status", c.draft ? "draft" : "finalized");
  w.field("payment_status", "pending");
  w.field("currency", currency);
  w.field("version_number", 4);
  w.field("fees_amount_cents", c.fees_amount);
  w.field("coupons_amount_cents", c.coupons_amount);
  w.field("credit_notes_amount_cents", c.credit_notes_amount);
  w.field("prepaid_credit_amount_cents", c.prepaid);
  w.field("progressive_billing_credit_amount_cents", c.progressive_amount);
  w.field("sub_total_excluding_taxes_amount_cents", c.sub_total_excluding);
  w.field("taxes_amount_cents", c.taxes.amount_cents);
  w.field("sub_total_including_taxes_amount_cents", c.sub_total_including);
  w.field("total_amount_cents", c.total);
  w.field("total_due_amount_cents", c.total);
  // Lago builds its invoice with created_at and updated_at = now.
  const std::string now = format_instant(s.now);
  w.field("created_at", now);
  w.field("updated_at", now);
  const Customer* customer = s.customer ? &*s.customer : nullptr;
  w.key("customer");
  const Customer* stored = ctx.existing_customer ? customer : nullptr;
  if constexpr (std::is_same_v<W, JsonText>) {
    if (customer_text) {  // written once, then copied
      if (customer_text->empty()) {
        JsonText block(*customer_text);
        write_customer(block, ctx, stored, s.now);
      }
      w.raw(*customer_text);
    } else {
      write_customer(w, ctx, stored, s.now);
    }
  } else {
    write_customer(w, ctx, stored, s.now);
  }

  w.begin_array("subscriptions");
  for (const auto& b : ctx.billed) write_subscription(w, b, customer, s.now);
  w.end_array();

  w.begin_array("fees");
  InstantText from_text, to_text;
  for (const auto& f : c.fees) write_fee(w, f, cur, customer, s.explain, from_text, to_text);
  w.end_array();

  w.begin_array("credits");
  for (const auto& p : c.progressive) {  // Lago's CreditSerializer for a progressive billing invoice
    begin_credit(w, p.amount_cents, currency, true);
    w.field("lago_item_id", id(p.invoice->lago_id));
    w.field("type", "invoice");
    w.field("code", id(p.invoice->number));
    w.field("name", id(p.invoice->number));
    end_credit(w);
  }
  for (const auto& cc : c.coupons) {
    const std::string* coupon_id = cc.applied ? id(cc.applied->lago_coupon_id) : nullptr;
    if (!coupon_id)
      if (const Coupon* def = s.find_coupon(cc.code)) coupon_id = id(def->lago_id);
    begin_credit(w, cc.amount_cents, currency, true);
    w.field("lago_item_id", coupon_id);
    w.field("type", "coupon");
    w.field("code", cc.code);
    w.field("name", cc.name);
    end_credit(w);
  }
  for (const auto& n : c.notes) {
    begin_credit(w, n.amount_cents, currency, false);
    w.field("lago_item_id", n.note ? id(n.note->lago_id) : nullptr);
    w.field("type", "credit_note");
    w.field("code", id(n.code));
    end_credit(w);
  }
  w.end_array();

  w.begin_array("applied_taxes");
  for (const auto& a : c.taxes.applied) {
    w.begin_object();
    w.field("lago_id", nullptr);
    w.field("lago_invoice_id", nullptr);
    w.field("lago_tax_id", id(a.tax->lago_id));
    w.field("tax_description", nullptr);
    w.field("created_at", nullptr);
    w.field("tax_code", a.tax->code);
    w.field("tax_name", a.tax->name);
    w.field("tax_rate", rate_number(a.tax->rate));
    w.field("amount_currency", currency);
    w.field("amount_cents", a.amount_cents);
    w.field("fees_amount_cents", a.fees_amount_cents);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

template <class F>
ojson tree(F&& write) {
  JsonTree w;
  write(w);
  return w.take();
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


ojson fee_json(const InvoiceFee& f, const Currency& cur, const Customer* customer, bool explain) {
  InstantText from_text, to_text;
  return tree([&](JsonTree& w) { write_fee(w, f, cur, customer, explain, from_text, to_text); });
}

ojson subscription_json(const BilledSubscription& b, const Customer* customer, Instant now) {
  return tree([&](JsonTree& w) { write_subscription(w, b, customer, now); });
}

ojson customer_json(const PreviewContext& ctx, const Customer* stored, Instant now) {
  return tree([&](JsonTree& w) { write_customer(w, ctx, stored, now); });
}

ojson invoice_json(const Snapshot& s, const PreviewContext& ctx, const ComputedInvoice& inv, const char* invoice_type) {
  return tree([&](JsonTree& w) { write_invoice(w, s, ctx, inv, invoice_type); });
}

void write_invoice_json(JsonText& w, const Snapshot& s, const PreviewContext& ctx, const ComputedInvoice& inv,
                        const char* invoice_type, std::string* customer_text) {
  write_invoice(w, s, ctx, inv, invoice_type, customer_text);
}

}  // namespace tariff
