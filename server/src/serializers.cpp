#include "serializers.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "tariff/decimal.hpp"
#include "tariff/ids.hpp"
#include "tariff/time.hpp"

namespace tariff::server {
namespace {

const ordered_json kNull = nullptr;

bool has(const ordered_json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && !it->is_null();
}
// The stored value, else `fallback` (null by default).
ordered_json get(const ordered_json& o, const char* k, ordered_json fallback = nullptr) {
  return has(o, k) ? o.at(k) : fallback;
}
// Only when present and not null (a field Lago's document types without null).
void put_present(ordered_json& out, const ordered_json& o, const char* k) {
  if (has(o, k)) out[k] = o.at(k);
}
bool flag(const ordered_json& o, const char* k, bool fallback) {
  auto it = o.find(k);
  return it != o.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// A decimal given as text or number, as Lago prints a BigDecimal ("10.0"); null if none.
ordered_json decimal_text(const ordered_json& v) {
  if (v.is_null()) return nullptr;
  std::optional<Decimal> d;
  if (v.is_string()) d = Decimal::parse(v.get<std::string>());
  else if (v.is_number()) d = Decimal::parse(v.dump());
  return d ? ordered_json(d->to_string()) : v;
}

// A float column (tax rate) as the JSON number Lago sends; display only, never computed with.
ordered_json float_number(const ordered_json& v) {
  if (v.is_number()) return v;
  if (v.is_string()) {
    if (auto d = Decimal::parse(v.get<std::string>()))
      return std::strtod(d->to_string().c_str(), nullptr);
  }
  return v;
}

ordered_json taxes_of(const ordered_json& o, Transaction& tx) {
  ordered_json out = ordered_json::array();
  auto it = o.find("tax_codes");
  if (it == o.end() || !it->is_array()) return out;
  for (const auto& code : *it) {
    if (!code.is_string()) continue;
    if (auto t = load_doc(tx, "tax", code.get<std::string>())) out.push_back(serialize_tax(*t));
  }
  return out;
}

ordered_json payment_method() {
  ordered_json p;
  p["payment_method_type"] = "provider";  // Lago's column default; no payment method id
  return p;
}

std::string millis(const std::string& iso) {  // "…T00:00:00Z" → "…T00:00:00.000Z" (iso8601(3))
  const auto t = parse_instant(iso);
  if (!t) return iso;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch());
  return date::format("%FT%TZ", date::sys_time<std::chrono::milliseconds>{ms});
}

// Charge properties as Lago keeps and answers them: only the keys of the charge model
// (ChargeModels::FilterProperties on write), grouped_by folded into pricing_group_keys
// (blank keys dropped), then mirrored back into grouped_by by ChargeSerializer#properties.
ordered_json charge_properties(const ordered_json& props, const std::string& model) {
  const ordered_json in = props.is_object() ? props : ordered_json::object();
  std::vector<const char*> keys;
  if (model == "standard") keys = {"amount"};
  else if (model == "graduated") keys = {"graduated_ranges"};
  else if (model == "volume") keys = {"volume_ranges"};
  else if (model == "graduated_percentage") keys = {"graduated_percentage_ranges"};
  else if (model == "package") keys = {"amount", "free_units", "package_size"};
  else if (model == "percentage")
    keys = {"fixed_amount", "free_units_per_events", "free_units_per_total_aggregation",
            "per_transaction_max_amount", "per_transaction_min_amount", "rate"};
  ordered_json p = ordered_json::object();
  for (const char* k : keys)
    if (in.contains(k)) p[k] = in[k];
  auto filled = [&](const char* k) { return in.contains(k) && in[k].is_array() && !in[k].empty(); };
  ordered_json group_keys = filled("pricing_group_keys") ? in["pricing_group_keys"]
                            : filled("grouped_by")       ? in["grouped_by"]
                                                         : ordered_json(nullptr);
  if (!group_keys.is_null()) {
    ordered_json kept = ordered_json::array();
    for (const auto& k : group_keys)
      if (!(k.is_string() && k.get<std::string>().empty())) kept.push_back(k);
    p["pricing_group_keys"] = kept;
    if (!kept.empty()) p["grouped_by"] = kept;
  }
  if (filled("presentation_group_keys")) p["presentation_group_keys"] = in["presentation_group_keys"];
  return p;
}

ordered_json serialize_charge(const ordered_json& c, const ordered_json& plan, Transaction& tx) {
  ordered_json o;
  o["lago_id"] = get(c, "lago_id");
  o["lago_billable_metric_id"] = get(c, "lago_billable_metric_id");
  o["code"] = get(c, "code");
  o["invoice_display_name"] = get(c, "invoice_display_name");
  o["billable_metric_code"] = get(c, "billable_metric_code");
  o["created_at"] = get(c, "created_at", get(plan, "created_at"));
  o["charge_model"] = get(c, "charge_model", "standard");
  o["invoiceable"] = flag(c, "invoiceable", true);
  o["regroup_paid_fees"] = get(c, "regroup_paid_fees");
  o["pay_in_advance"] = flag(c, "pay_in_advance", false);
  o["prorated"] = flag(c, "prorated", false);
  o["min_amount_cents"] = get(c, "min_amount_cents", 0);
  o["accepts_target_wallet"] = flag(c, "accepts_target_wallet", false);
  const std::string model = string_or(c, "charge_model", "standard");
  o["properties"] = charge_properties(get(c, "properties"), model);
  o["applied_pricing_unit"] = get(c, "applied_pricing_unit");
  o["lago_parent_id"] = nullptr;
  ordered_json filters = ordered_json::array();
  for (const auto& f : get(c, "filters", ordered_json::array())) {
    if (!f.is_object()) continue;
    ordered_json x;
    x["invoice_display_name"] = get(f, "invoice_display_name");
    x["properties"] = charge_properties(get(f, "properties"), model);
    x["values"] = get(f, "values", ordered_json::object());
    filters.push_back(std::move(x));
  }
  o["filters"] = std::move(filters);
  o["taxes"] = taxes_of(c, tx);
  return o;
}

ordered_json serialize_fixed_charge(const ordered_json& c, const ordered_json& plan, Transaction& tx) {
  ordered_json o;
  for (const char* k : {"lago_id", "lago_add_on_id", "invoice_display_name", "add_on_code"})
    o[k] = get(c, k, "");
  if (!o["lago_add_on_id"].is_string() || o["lago_add_on_id"] == "")  // a plan stored before add-on ids
    o["lago_add_on_id"] = derived_add_on_id(string_or(c, "add_on_code", string_or(c, "code", "")));
  o["created_at"] = get(c, "created_at", get(plan, "created_at"));
  put_present(o, c, "code");
  o["charge_model"] = get(c, "charge_model", "standard");
  o["pay_in_advance"] = flag(c, "pay_in_advance", false);
  o["prorated"] = flag(c, "prorated", false);
  o["properties"] = get(c, "properties", ordered_json::object());
  o["units"] = float_number(get(c, "units", 0));
  o["lago_parent_id"] = nullptr;
  o["taxes"] = taxes_of(c, tx);
  return o;
}

}  // namespace

ordered_json serialize_tax(const ordered_json& t) {
  ordered_json o;
  o["lago_id"] = get(t, "lago_id");
  o["name"] = get(t, "name", get(t, "code"));
  o["code"] = get(t, "code");
  o["rate"] = float_number(get(t, "rate", 0));
  o["description"] = get(t, "description");
  o["applied_to_organization"] = flag(t, "applied_to_organization", false);
  o["created_at"] = get(t, "created_at");
  return o;
}

ordered_json serialize_metric(const ordered_json& m) {
  ordered_json o;
  o["lago_id"] = get(m, "lago_id");
  o["name"] = get(m, "name", get(m, "code"));
  o["code"] = get(m, "code");
  o["description"] = get(m, "description");
  o["aggregation_type"] = get(m, "aggregation_type");
  o["weighted_interval"] = get(m, "weighted_interval");
  o["recurring"] = flag(m, "recurring", false);
  o["rounding_function"] = get(m, "rounding_function");
  o["rounding_precision"] = get(m, "rounding_precision");
  o["created_at"] = get(m, "created_at");
  o["field_name"] = get(m, "field_name");
  put_present(o, m, "expression");
  ordered_json filters = ordered_json::array();
  for (const auto& f : get(m, "filters", ordered_json::array())) {
    if (!f.is_object()) continue;
    filters.push_back({{"key", get(f, "key")}, {"values", get(f, "values", ordered_json::array())}});
  }
  o["filters"] = std::move(filters);
  return o;
}

ordered_json serialize_plan(const ordered_json& p, Transaction& tx) {
  ordered_json o;
  o["lago_id"] = get(p, "lago_id");
  o["name"] = get(p, "name", get(p, "code"));
  put_present(o, p, "invoice_display_name");
  o["created_at"] = get(p, "created_at");
  o["code"] = get(p, "code");
  o["interval"] = get(p, "interval");
  put_present(o, p, "description");
  o["amount_cents"] = get(p, "amount_cents", 0);
  o["amount_currency"] = get(p, "amount_currency");
  if (has(p, "trial_period")) o["trial_period"] = float_number(p["trial_period"]);
  o["pay_in_advance"] = flag(p, "pay_in_advance", false);
  o["bill_charges_monthly"] = get(p, "bill_charges_monthly");
  o["bill_fixed_charges_monthly"] = get(p, "bill_fixed_charges_monthly");
  ordered_json charges = ordered_json::array(), fixed = ordered_json::array();
  for (const auto& c : get(p, "charges", ordered_json::array()))
    if (c.is_object()) charges.push_back(serialize_charge(c, p, tx));
  for (const auto& c : get(p, "fixed_charges", ordered_json::array()))
    if (c.is_object()) fixed.push_back(serialize_fixed_charge(c, p, tx));
  o["charges"] = std::move(charges);
  o["fixed_charges"] = std::move(fixed);
  ordered_json thresholds = ordered_json::array();
  for (const auto& t : get(p, "usage_thresholds", ordered_json::array())) {
    if (!t.is_object()) continue;
    ordered_json x;
    x["lago_id"] = get(t, "lago_id");
    x["threshold_display_name"] = get(t, "threshold_display_name");
    x["amount_cents"] = get(t, "amount_cents", 0);
    x["recurring"] = flag(t, "recurring", false);
    x["created_at"] = get(t, "created_at", get(p, "created_at"));
    x["updated_at"] = get(t, "updated_at", x["created_at"]);
    thresholds.push_back(std::move(x));
  }
  o["usage_thresholds"] = std::move(thresholds);
  o["taxes"] = taxes_of(p, tx);
  if (has(p, "minimum_commitment") && p["minimum_commitment"].is_object()) {
    const ordered_json& m = p["minimum_commitment"];
    ordered_json x;
    x["lago_id"] = get(m, "lago_id");
    x["plan_code"] = get(p, "code");
    put_present(x, m, "invoice_display_name");
    x["amount_cents"] = get(m, "amount_cents", 0);
    x["interval"] = get(p, "interval");
    x["created_at"] = get(m, "created_at", get(p, "created_at"));
    x["updated_at"] = get(m, "updated_at", x["created_at"]);
    x["taxes"] = taxes_of(m, tx);
    o["minimum_commitment"] = std::move(x);
  }
  put_present(o, p, "metadata");
  return o;
}

ordered_json serialize_coupon(const ordered_json& c) {
  auto list = [&](const char* k) {
    const ordered_json v = get(c, k, ordered_json::array());
    return v.is_array() ? v : ordered_json::array();
  };
  ordered_json o;
  o["lago_id"] = get(c, "lago_id");
  o["name"] = get(c, "name", get(c, "code"));
  o["code"] = get(c, "code");
  o["description"] = get(c, "description");
  o["coupon_type"] = get(c, "coupon_type");
  o["amount_cents"] = get(c, "amount_cents");
  o["amount_currency"] = get(c, "amount_currency");
  o["percentage_rate"] = decimal_text(get(c, "percentage_rate"));
  o["frequency"] = get(c, "frequency", "once");
  o["frequency_duration"] = get(c, "frequency_duration");
  o["reusable"] = flag(c, "reusable", true);
  // Lago: a coupon limited to plans or metrics says so (applies_to.plan_codes / metric codes).
  const ordered_json applies = get(c, "applies_to", ordered_json::object());
  ordered_json plans = list("plan_codes"), metrics = list("billable_metric_codes");
  if (applies.is_object()) {
    if (plans.empty() && applies.contains("plan_codes") && applies["plan_codes"].is_array())
      plans = applies["plan_codes"];
    if (metrics.empty() && applies.contains("billable_metric_codes") &&
        applies["billable_metric_codes"].is_array())
      metrics = applies["billable_metric_codes"];
  }
  o["limited_plans"] = !plans.empty();
  o["limited_billable_metrics"] = !metrics.empty();
  o["plan_codes"] = plans;
  o["billable_metric_codes"] = metrics;
  o["created_at"] = get(c, "created_at");
  o["expiration"] = get(c, "expiration", "no_expiration");
  o["expiration_at"] = get(c, "expiration_at");
  o["terminated_at"] = get(c, "terminated_at");
  return o;
}

ordered_json ensure_organization(Transaction& tx, const std::string& now, IdSource& ids) {
  ordered_json org = load_organization(tx);
  if (complete_organization(org, now, ids) || !tx.get("organization", "default"))
    save_doc(tx, "organization", "default", org);
  return org;
}

bool complete_organization(ordered_json& org, const std::string& now, IdSource& ids) {
  bool changed = false;
  if (!has(org, "lago_id")) { org["lago_id"] = ids.uuid(); changed = true; }
  if (!has(org, "name")) { org["name"] = "tariff"; changed = true; }
  if (!has(org, "created_at")) { org["created_at"] = now; changed = true; }
  if (!has(org, "document_number_prefix")) {
    // Lago: the name's first 3 characters and the id's last 4, upper case ("TAR-1A90").
    std::string prefix = org["name"].get<std::string>().substr(0, 3) + "-" +
                         org["lago_id"].get<std::string>().substr(32);
    for (auto& ch : prefix) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    org["document_number_prefix"] = prefix;
    changed = true;
  }
  return changed;
}

ordered_json serialize_organization(const ordered_json& g, Transaction& tx) {
  ordered_json o;
  o["lago_id"] = get(g, "lago_id");
  o["name"] = get(g, "name");
  o["created_at"] = get(g, "created_at");
  o["webhook_url"] = get(g, "webhook_url");
  o["webhook_urls"] = get(g, "webhook_urls", ordered_json::array());
  o["country"] = get(g, "country");
  o["default_currency"] = get(g, "default_currency", "USD");
  for (const char* k : {"address_line1", "address_line2", "state", "zipcode", "email", "city",
                        "legal_name", "legal_number"})
    o[k] = get(g, k);
  o["document_numbering"] = get(g, "document_numbering", "per_customer");
  o["document_number_prefix"] = get(g, "document_number_prefix");
  o["net_payment_term"] = get(g, "net_payment_term", 0);
  o["tax_identification_number"] = get(g, "tax_identification_number");
  o["timezone"] = get(g, "timezone", "UTC");
  o["email_settings"] = get(g, "email_settings", ordered_json::array());
  ordered_json bc;
  const ordered_json in_bc = get(g, "billing_configuration", ordered_json::object());
  bc["invoice_footer"] = in_bc.is_object() ? get(in_bc, "invoice_footer") : kNull;
  bc["invoice_grace_period"] = in_bc.is_object() && has(in_bc, "invoice_grace_period")
                                  ? in_bc["invoice_grace_period"]
                                  : get(g, "invoice_grace_period", 0);
  bc["document_locale"] = in_bc.is_object() ? get(in_bc, "document_locale", "en") : ordered_json("en");
  o["billing_configuration"] = std::move(bc);
  ordered_json taxes = ordered_json::array();
  for (const auto& d : tx.list(DocumentQuery{"tax", std::nullopt, std::nullopt, 0, -1}).items) {
    const ordered_json t = parse_stored(d.body);
    if (flag(t, "applied_to_organization", false)) taxes.push_back(serialize_tax(t));
  }
  o["taxes"] = std::move(taxes);
  o["finalize_zero_amount_invoice"] = flag(g, "finalize_zero_amount_invoice", true);
  return o;
}

void identify_customer(Transaction& tx, ordered_json& c, const std::string& now, IdSource& ids) {
  // Lago keeps each metadata pair as a record of its own: an id, a creation time, and
  // display_in_invoice (false unless given).
  if (auto m = c.find("metadata"); m != c.end() && m->is_array())
    for (auto& e : *m) {
      if (!e.is_object()) continue;
      if (!e.contains("lago_id") || !e["lago_id"].is_string()) e["lago_id"] = ids.uuid();
      if (!e.contains("created_at") || !e["created_at"].is_string()) e["created_at"] = now;
      if (!e.contains("display_in_invoice") || !e["display_in_invoice"].is_boolean()) e["display_in_invoice"] = false;
    }
  if (c.contains("sequential_id") && c["sequential_id"].is_number_integer()) return;
  const ordered_json org = ensure_organization(tx, now, ids);
  int64_t seq = 1;
  if (auto d = load_doc(tx, "sequence", "customer")) seq = d->value("value", int64_t{0}) + 1;
  save_doc(tx, "sequence", "customer", ordered_json{{"value", seq}});
  char digits[32];
  std::snprintf(digits, sizeof digits, "%03lld", static_cast<long long>(seq));
  c["sequential_id"] = seq;
  c["slug"] = string_or(org, "document_number_prefix", "") + "-" + digits;
}

ordered_json serialize_customer(const ordered_json& c, Transaction& tx, bool extended) {
  const ordered_json org = snapshot_organization(tx);
  ordered_json o;
  o["lago_id"] = get(c, "lago_id");
  o["external_id"] = get(c, "external_id");
  o["account_type"] = get(c, "account_type", "customer");
  for (const char* k : {"name", "firstname", "lastname", "customer_type"}) o[k] = get(c, k);
  o["sequential_id"] = get(c, "sequential_id");
  o["slug"] = get(c, "slug");
  o["created_at"] = get(c, "created_at");
  o["updated_at"] = get(c, "updated_at", get(c, "created_at"));
  for (const char* k : {"country", "address_line1", "address_line2", "state", "zipcode", "email",
                        "city", "url", "phone", "logo_url", "legal_name", "legal_number",
                        "currency", "tax_identification_number", "timezone"})
    o[k] = get(c, k);
  // Lago's applicable_timezone: the customer's zone, else the organization's, else UTC.
  o["applicable_timezone"] = get(c, "timezone", get(org, "timezone", "UTC"));
  o["net_payment_term"] = get(c, "net_payment_term");
  o["finalize_zero_amount_invoice"] = get(c, "finalize_zero_amount_invoice", "inherit");
  const ordered_json in_bc = get(c, "billing_configuration", ordered_json::object());
  ordered_json bc = ordered_json::object();
  if (in_bc.is_object()) {
    for (const char* k : {"invoice_grace_period", "payment_provider", "payment_provider_code",
                          "document_locale"})
      put_present(bc, in_bc, k);
    bc["subscription_invoice_issuing_date_anchor"] = get(in_bc, "subscription_invoice_issuing_date_anchor");
    bc["subscription_invoice_issuing_date_adjustment"] = get(in_bc, "subscription_invoice_issuing_date_adjustment");
  }
  if (!bc.contains("invoice_grace_period")) put_present(bc, c, "invoice_grace_period");
  o["billing_configuration"] = std::move(bc);
  ordered_json ship = ordered_json::object();
  const ordered_json in_ship = get(c, "shipping_address", ordered_json::object());
  for (const char* k : {"address_line1", "address_line2", "city", "zipcode", "state", "country"})
    ship[k] = in_ship.is_object() ? get(in_ship, k) : kNull;
  o["shipping_address"] = std::move(ship);
  o["skip_invoice_custom_sections"] = flag(c, "skip_invoice_custom_sections", false);
  o["metadata"] = get(c, "metadata", ordered_json::array());
  if (extended) o["taxes"] = taxes_of(c, tx);
  o["integration_customers"] = ordered_json::array();
  if (extended) o["applicable_invoice_custom_sections"] = ordered_json::array();
  return o;
}

namespace {
// Lago's current_billing_period_*: the engine's current-usage window at Lago's billing
// reference time, max(now, started_at), in the customer's zone (else organization's, UTC).
std::pair<ordered_json, ordered_json> billing_period(const ordered_json& s, const ordered_json& plan,
                                                     Transaction& tx, int64_t now_us,
                                                     const std::optional<std::string>& customer_zone) {
  const auto interval = parse_interval(string_or(plan, "interval", ""));
  const auto billing_time = parse_billing_time(string_or(s, "billing_time", "calendar"));
  const auto subscription_at = parse_instant(string_or(s, "subscription_at", ""));
  const auto started_at = parse_instant(string_or(s, "started_at", ""));
  // Lago's DatesService gives no charges boundaries before the subscription started (pending).
  if (!interval || !billing_time || !subscription_at || !started_at) return {nullptr, nullptr};
  std::string zone = string_or(snapshot_organization(tx), "timezone", "UTC");
  if (auto c = load_doc(tx, "customer", string_or(s, "external_customer_id", "")))
    zone = string_or(*c, "timezone", zone);
  if (customer_zone) zone = *customer_zone;
  const auto tz = TimeZone::find(zone);
  SubscriptionDates d;
  d.interval = *interval;
  d.billing_time = *billing_time;
  d.plan_pay_in_advance = flag(plan, "pay_in_advance", false);
  d.bill_charges_monthly = flag(plan, "bill_charges_monthly", false);
  d.bill_fixed_charges_monthly = flag(plan, "bill_fixed_charges_monthly", false);
  d.subscription_at = *subscription_at;
  d.started_at = *started_at;
  d.terminated_at = parse_instant(string_or(s, "terminated_at", ""));
  d.tz = tz ? *tz : TimeZone::utc();
  const Instant now{std::chrono::microseconds{now_us}};
  const Windows w = current_usage_windows(d, std::max(now, d.started_at));
  if (!w.charges_billed) return {nullptr, nullptr};
  return {format_instant(w.charges_from), format_instant(w.charges_to)};
}
}  // namespace

ordered_json serialize_subscription(const ordered_json& s, Transaction& tx, int64_t now_us,
                                   const std::optional<std::string>& zone) {
  const ordered_json plan = load_doc(tx, "plan", string_or(s, "plan_code", "")).value_or(ordered_json::object());
  const std::string status = string_or(s, "status", "active");
  ordered_json o;
  o["lago_id"] = get(s, "lago_id");
  o["external_id"] = get(s, "external_id");
  o["lago_customer_id"] = get(s, "lago_customer_id");
  o["external_customer_id"] = get(s, "external_customer_id");
  o["name"] = get(s, "name");
  o["plan_code"] = get(s, "plan_code");
  o["plan_amount_cents"] = get(plan, "amount_cents", 0);
  if (has(plan, "amount_currency")) o["plan_amount_currency"] = plan["amount_currency"];
  o["status"] = status;
  o["billing_time"] = get(s, "billing_time", "calendar");
  o["subscription_at"] = get(s, "subscription_at");
  o["started_at"] = has(s, "started_at") ? ordered_json(millis(s["started_at"].get<std::string>())) : kNull;
  o["trial_ended_at"] = get(s, "trial_ended_at");
  o["ending_at"] = get(s, "ending_at");
  o["terminated_at"] = get(s, "terminated_at");
  o["canceled_at"] = get(s, "canceled_at");
  o["created_at"] = get(s, "created_at");
  o["previous_plan_code"] = get(s, "previous_plan_code");
  o["next_plan_code"] = get(s, "next_plan_code");
  o["downgrade_plan_date"] = get(s, "downgrade_plan_date");
  auto [from, to] = billing_period(s, plan, tx, now_us, zone);
  o["current_billing_period_started_at"] = from;
  o["current_billing_period_ending_at"] = to;
  o["on_termination_credit_note"] = get(s, "on_termination_credit_note");
  o["on_termination_invoice"] = get(s, "on_termination_invoice", "generate");
  o["consolidate_invoice"] = flag(s, "consolidate_invoice", false);
  o["purchase_order_number"] = get(s, "purchase_order_number");
  o["cancellation_reason"] = get(s, "cancellation_reason");
  // Lago's mark_as_active! stamps activated_at with started_at's instant (iso8601, whole seconds)
  o["activated_at"] = status == "active" || status == "terminated" ? get(s, "started_at") : kNull;
  o["payment_method"] = payment_method();
  o["activation_rules"] = ordered_json::array();
  return o;
}

ordered_json serialize_applied_coupon(const ordered_json& a, bool with_credits) {
  const std::string frequency = string_or(a, "frequency", "once");
  ordered_json o;
  o["lago_id"] = get(a, "lago_id");
  o["lago_coupon_id"] = get(a, "lago_coupon_id");
  o["coupon_code"] = get(a, "coupon_code");
  o["coupon_name"] = get(a, "coupon_name", get(a, "coupon_code"));
  o["coupon_status"] = get(a, "coupon_status", "active");
  o["coupon_deleted_at"] = get(a, "coupon_deleted_at");
  o["lago_customer_id"] = get(a, "lago_customer_id");
  o["external_customer_id"] = get(a, "external_customer_id");
  o["status"] = get(a, "status", "active");
  o["amount_cents"] = get(a, "amount_cents");
  // Lago: nothing remains to count on a recurring or forever coupon, nor a percentage one.
  const bool counted = frequency == "once" && has(a, "amount_cents") && !has(a, "percentage_rate");
  o["amount_cents_remaining"] = counted ? get(a, "amount_cents_remaining", get(a, "amount_cents")) : kNull;
  o["amount_currency"] = get(a, "amount_currency");
  o["percentage_rate"] = decimal_text(get(a, "percentage_rate"));
  o["frequency"] = frequency;
  o["frequency_duration"] = get(a, "frequency_duration");
  o["frequency_duration_remaining"] = get(a, "frequency_duration_remaining");
  o["expiration_at"] = get(a, "expiration_at");
  o["created_at"] = get(a, "created_at");
  o["terminated_at"] = get(a, "terminated_at");
  if (with_credits) o["credits"] = ordered_json::array();  // no invoice has consumed it here
  return o;
}

ordered_json serialize_wallet(const ordered_json& w) {
  ordered_json o;
  for (const char* k : {"lago_id", "lago_customer_id", "external_customer_id", "status",
                        "currency", "name", "code", "purchase_order_number", "rate_amount",
                        "credits_balance", "credits_ongoing_balance"})
    o[k] = get(w, k);
  o["credits_ongoing_usage_balance"] = get(w, "credits_ongoing_usage_balance", "0.0");
  o["balance_cents"] = get(w, "balance_cents", 0);
  o["ongoing_balance_cents"] = get(w, "ongoing_balance_cents", 0);
  o["ongoing_usage_balance_cents"] = get(w, "ongoing_usage_balance_cents", 0);
  o["consumed_credits"] = get(w, "consumed_credits", "0.0");
  for (const char* k : {"created_at", "expiration_at", "last_balance_sync_at",
                        "last_consumed_credit_at", "terminated_at"})
    o[k] = get(w, k);
  o["invoice_requires_successful_payment"] = flag(w, "invoice_requires_successful_payment", false);
  o["paid_top_up_min_amount_cents"] = get(w, "paid_top_up_min_amount_cents");
  o["paid_top_up_max_amount_cents"] = get(w, "paid_top_up_max_amount_cents");
  o["priority"] = get(w, "priority", 50);
  o["recurring_transaction_rules"] = ordered_json::array();
  ordered_json applies;
  const ordered_json in = get(w, "applies_to", ordered_json::object());
  applies["fee_types"] = in.is_object() ? get(in, "fee_types", ordered_json::array()) : ordered_json::array();
  applies["billable_metric_codes"] =
      in.is_object() ? get(in, "billable_metric_codes", ordered_json::array()) : ordered_json::array();
  o["applies_to"] = std::move(applies);
  o["payment_method"] = payment_method();
  put_present(o, w, "metadata");
  return o;
}

ordered_json serialize_wallet_transaction(const ordered_json& t, const ordered_json& wallet) {
  ordered_json o;
  for (const char* k : {"lago_id", "lago_wallet_id", "lago_invoice_id", "lago_credit_note_id",
                        "lago_voided_invoice_id"})
    o[k] = get(t, k);
  o["status"] = get(t, "status", "settled");
  o["source"] = get(t, "source", "manual");
  o["transaction_status"] = get(t, "transaction_status");
  o["transaction_type"] = get(t, "transaction_type");
  o["amount"] = get(t, "amount");
  o["credit_amount"] = get(t, "credit_amount");
  o["remaining_amount_cents"] = get(t, "remaining_amount_cents");
  o["remaining_credit_amount"] = get(t, "remaining_credit_amount");
  o["priority"] = get(t, "priority", get(wallet, "priority", 50));
  o["purchase_order_number"] = get(t, "purchase_order_number");
  o["settled_at"] = get(t, "settled_at");
  o["failed_at"] = get(t, "failed_at");
  o["created_at"] = get(t, "created_at");
  o["invoice_requires_successful_payment"] = flag(t, "invoice_requires_successful_payment", false);
  o["metadata"] = get(t, "metadata", ordered_json::array());
  o["name"] = get(t, "name");
  o["payment_method"] = payment_method();
  return o;
}

ordered_json serialize_event(const ordered_json& e) {
  ordered_json o;
  for (const char* k : {"lago_id", "transaction_id", "lago_customer_id", "code", "timestamp"})
    o[k] = get(e, k);
  // Lago: precise_total_amount_cents&.to_s, the stored decimal as text.
  o["precise_total_amount_cents"] = decimal_text(get(e, "precise_total_amount_cents"));
  o["properties"] = get(e, "properties", ordered_json::object());
  o["lago_subscription_id"] = get(e, "lago_subscription_id");
  o["external_subscription_id"] = get(e, "external_subscription_id");
  o["created_at"] = get(e, "created_at");
  return o;
}

}  // namespace tariff::server
