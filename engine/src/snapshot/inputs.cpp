// Coupons, applied coupons, wallets, credit notes and requests (see inputs.hpp), with Lago's
// model validations:
//   Coupon         amount_cents > 0, amount_cents and amount_currency present if fixed_amount,
//                  percentage_rate present if percentage, frequency_duration > 0 if recurring
//   AppliedCoupon  amount_cents ≥ 0, frequency_duration > 0 and _remaining ≥ 0 if recurring
//   Wallet         rate_amount > 0, currency in the list, priority in 1..50, balance_cents ≥ 0,
//                  applies_to.fee_types among Fee::FEE_TYPES (invalid_fee_types)
//   CreditNote     balance_amount_cents ≥ 0, credit_status available | consumed | voided
#include <algorithm>
#include <set>

#include "snapshot/reader.hpp"
#include "snapshot/snapshot.hpp"

namespace tariff {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxItems = 10000;
// percentage_rate is numeric(10, 5) in Lago: |rate| < 10^5.
const Decimal kMaxPercentageRate = Decimal(100000);

class InputParser {
 public:
  InputParser(const json& doc, Snapshot& s, Reader& r) : doc_(doc), s_(s), r_(r) {}

  void coupons() {
    const json* arr = items("coupons");
    if (!arr) return;
    s_.coupons.reserve(arr->size());
    std::set<std::string> seen;
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Reader::at("coupons", i);
      const json& c = (*arr)[i];
      if (!c.is_object()) { r_.add(p, "value_is_invalid"); continue; }
      Coupon cp = coupon(c, p, Origin::organization);
      if (!cp.code.empty() && !seen.insert(cp.code).second) r_.add(Reader::at(p, "code"), "value_already_exist");
      s_.coupons.push_back(std::move(cp));
    }
  }

  void applied_coupons() {
    const json* arr = items("applied_coupons");
    if (!arr) return;
    s_.applied_coupons.reserve(arr->size());
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Reader::at("applied_coupons", i);
      const json& a = (*arr)[i];
      if (!a.is_object()) { r_.add(p, "value_is_invalid"); continue; }
      s_.applied_coupons.push_back(applied_coupon(a, p));
    }
  }

  void wallets() {
    const json* arr = items("wallets");
    if (!arr) return;
    s_.wallets.reserve(arr->size());
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Reader::at("wallets", i);
      const json& w = (*arr)[i];
      if (!w.is_object()) { r_.add(p, "value_is_invalid"); continue; }
      s_.wallets.push_back(wallet(w, p));
    }
  }

  void credit_notes() {
    const json* arr = items("credit_notes");
    if (!arr) return;
    s_.credit_notes.reserve(arr->size());
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Reader::at("credit_notes", i);
      const json& n = (*arr)[i];
      if (!n.is_object()) { r_.add(p, "value_is_invalid"); continue; }
      s_.credit_notes.push_back(credit_note(n, p));
    }
  }

  void request(RequestKind kind) {
    static const json kEmpty = json::object();
    const json* rq = Reader::field(doc_, "request");
    if (rq && !rq->is_object()) return;  // reported by the snapshot parser
    const json& req = rq ? *rq : kEmpty;
    switch (kind) {
      case RequestKind::none: return;
      case RequestKind::preview: s_.preview_request = preview(req); return;
      case RequestKind::usage: s_.usage_request = usage(req); return;
      case RequestKind::estimate_fees: s_.estimate_request = estimate(req); return;
    }
  }

 private:
  const json& doc_;
  Snapshot& s_;
  Reader& r_;

  enum class Origin { organization, request };

  const json* items(const char* key) {
    const json* arr = r_.array(doc_, key, "");
    if (arr && arr->size() > kMaxItems) {
      r_.add(key, "too_many_items");
      return nullptr;
    }
    return arr;
  }

  std::optional<Currency> currency(const json& o, const char* key, const std::string& path) {
    auto code = r_.string(o, key, path);
    if (!code) return std::nullopt;
    auto c = find_currency(*code);
    if (!c) r_.add(Reader::at(path, key), "value_is_invalid");
    return c;
  }

  // An integer that must be > min (strict) or ≥ min: Rails' numericality.
  std::optional<int64_t> bounded_integer(const json& o, const char* key, const std::string& path, int64_t min,
                                         bool strict) {
    auto v = r_.integer(o, key, path);
    if (v && (strict ? *v <= min : *v < min)) {
      r_.add(Reader::at(path, key), "value_is_out_of_range");
      return std::nullopt;
    }
    return v;
  }

  std::optional<CouponType> coupon_type(const json& o, const std::string& path) {
    auto t = r_.string(o, "coupon_type", path);
    if (!t) return std::nullopt;
    if (*t == "fixed_amount") return CouponType::fixed_amount;
    if (*t == "percentage") return CouponType::percentage;
    r_.add(Reader::at(path, "coupon_type"), "value_is_invalid");
    return std::nullopt;
  }

  std::optional<CouponFrequency> frequency(const json& o, const std::string& path) {
    auto f = r_.string(o, "frequency", path);
    if (!f) return std::nullopt;
    if (*f == "once") return CouponFrequency::once;
    if (*f == "recurring") return CouponFrequency::recurring;
    if (*f == "forever") return CouponFrequency::forever;
    r_.add(Reader::at(path, "frequency"), "value_is_invalid");
    return std::nullopt;
  }

  std::optional<Decimal> percentage_rate(const json& o, const std::string& path) {
    auto rate = r_.decimal(o, "percentage_rate", path);
    if (rate && (rate->is_negative() || *rate >= kMaxPercentageRate)) {
      r_.add(Reader::at(path, "percentage_rate"), "value_is_out_of_range");
      return std::nullopt;
    }
    return rate;
  }

  // `status` among `allowed` (the first is the default).
  std::string status(const json& o, const char* key, const std::string& path, std::initializer_list<const char*> allowed) {
    auto st = r_.string(o, key, path);
    if (!st) return *allowed.begin();
    for (const char* a : allowed)
      if (*st == a) return *st;
    r_.add(Reader::at(path, key), "value_is_invalid");
    return *allowed.begin();
  }

  // plan_codes / billable_metric_codes at the top (Lago's Coupon object) or in applies_to
  // (its create input); limited_plans / limited_billable_metrics false clear them.
  void limitations(const json& c, const std::string& p, Coupon& cp) {
    cp.plan_codes = r_.strings(c, "plan_codes", p);
    cp.billable_metric_codes = r_.strings(c, "billable_metric_codes", p);
    if (const json* at = r_.object(c, "applies_to", p)) {
      const std::string ap = Reader::at(p, "applies_to");
      if (cp.plan_codes.empty()) cp.plan_codes = r_.strings(*at, "plan_codes", ap);
      if (cp.billable_metric_codes.empty()) cp.billable_metric_codes = r_.strings(*at, "billable_metric_codes", ap);
    }
    if (!r_.boolean(c, "limited_plans", p, true)) cp.plan_codes.clear();
    if (!r_.boolean(c, "limited_billable_metrics", p, true)) cp.billable_metric_codes.clear();
    // Coupons::CreateService: only_one_limitation_type_per_coupon_allowed.
    if (!cp.plan_codes.empty() && !cp.billable_metric_codes.empty())
      r_.add(Reader::at(p, "applies_to"), "only_one_limitation_type_per_coupon_allowed");
  }

  // Lago's Coupon model. An inline request coupon is Coupon.new(attributes), never
  // validated by Lago: its types are checked, and a fixed coupon without currency is kept
  // (it applies to no invoice, as in Lago's preview).
  Coupon coupon(const json& c, const std::string& p, Origin origin) {
    Coupon cp;
    const bool organization = origin == Origin::organization;
    cp.code = r_.string(c, "code", p, organization).value_or("");
    cp.lago_id = r_.string(c, "lago_id", p).value_or("");
    cp.name = r_.string(c, "name", p).value_or(cp.code);
    cp.type = coupon_type(c, p).value_or(CouponType::fixed_amount);
    const bool fixed = cp.type == CouponType::fixed_amount;
    cp.amount_cents = bounded_integer(c, "amount_cents", p, 0, true);
    cp.amount_currency = currency(c, "amount_currency", p);
    cp.percentage_rate = percentage_rate(c, p);
    if (fixed) {
      const bool needs_amount = organization || cp.amount_currency.has_value();
      if (needs_amount && !Reader::has(c, "amount_cents")) r_.add(Reader::at(p, "amount_cents"), "value_is_mandatory");
      if (organization && !Reader::has(c, "amount_currency")) r_.add(Reader::at(p, "amount_currency"), "value_is_mandatory");
    } else if (!Reader::has(c, "percentage_rate")) {
      r_.add(Reader::at(p, "percentage_rate"), "value_is_mandatory");
    }
    cp.frequency = frequency(c, p).value_or(CouponFrequency::once);
    cp.frequency_duration = bounded_integer(c, "frequency_duration", p, 0, true);
    if (organization && cp.frequency == CouponFrequency::recurring && !Reader::has(c, "frequency_duration"))
      r_.add(Reader::at(p, "frequency_duration"), "value_is_mandatory");
    cp.terminated = status(c, "status", p, {"active", "terminated"}) == "terminated";
    // Lago's preview params permit no limitation on a request coupon: an inline coupon
    // applies to every fee (InvoicesController#preview_params).
    if (organization) limitations(c, p, cp);
    return cp;
  }

  // Lago's AppliedCoupon: its own amount, currency, rate and frequency, each falling back to
  // the coupon's; the type is the coupon's (else its own coupon_type, else percentage iff it
  // carries a rate).
  AppliedCoupon applied_coupon(const json& a, const std::string& p) {
    AppliedCoupon ac;
    const char* code_key = Reader::has(a, "coupon_code") || !Reader::has(a, "code") ? "coupon_code" : "code";
    ac.coupon_code = r_.string(a, code_key, p, true).value_or("");
    ac.definition = s_.find_coupon(ac.coupon_code);
    ac.lago_coupon_id = r_.string(a, "lago_coupon_id", p).value_or(ac.definition ? ac.definition->lago_id : "");
    const Coupon* def = ac.definition;
    ac.coupon_name = r_.string(a, "coupon_name", p).value_or(def ? def->name : ac.coupon_code);
    const auto own_type = coupon_type(a, p);
    ac.amount_cents = bounded_integer(a, "amount_cents", p, 0, false);
    ac.amount_cents_remaining = bounded_integer(a, "amount_cents_remaining", p, 0, false);
    ac.amount_currency = currency(a, "amount_currency", p);
    ac.percentage_rate = percentage_rate(a, p);
    if (def) ac.type = def->type;
    else if (own_type) ac.type = *own_type;
    else ac.type = Reader::has(a, "percentage_rate") ? CouponType::percentage : CouponType::fixed_amount;
    if (def) {
      if (!Reader::has(a, "amount_cents")) ac.amount_cents = def->amount_cents;
      if (!Reader::has(a, "amount_currency")) ac.amount_currency = def->amount_currency;
      if (!Reader::has(a, "percentage_rate")) ac.percentage_rate = def->percentage_rate;
    }
    if (ac.type == CouponType::fixed_amount) {
      if (!ac.amount_cents && !Reader::has(a, "amount_cents")) r_.add(Reader::at(p, "amount_cents"), "value_is_mandatory");
      if (!ac.amount_currency && !Reader::has(a, "amount_currency"))
        r_.add(Reader::at(p, "amount_currency"), "value_is_mandatory");
    } else if (!ac.percentage_rate && !Reader::has(a, "percentage_rate")) {
      r_.add(Reader::at(p, "percentage_rate"), "value_is_mandatory");
    }
    ac.frequency = frequency(a, p).value_or(def ? def->frequency : CouponFrequency::once);
    ac.frequency_duration = bounded_integer(a, "frequency_duration", p, 0, true);
    if (!ac.frequency_duration && !Reader::has(a, "frequency_duration") && def) ac.frequency_duration = def->frequency_duration;
    ac.frequency_duration_remaining = bounded_integer(a, "frequency_duration_remaining", p, 0, false);
    if (ac.frequency == CouponFrequency::recurring) {
      if (!Reader::has(a, "frequency_duration") && !ac.frequency_duration)
        r_.add(Reader::at(p, "frequency_duration"), "value_is_mandatory");
      if (!Reader::has(a, "frequency_duration_remaining"))
        r_.add(Reader::at(p, "frequency_duration_remaining"), "value_is_mandatory");
    }
    ac.active = status(a, "status", p, {"active", "terminated"}) == "active";
    ac.created_at = r_.instant(a, "created_at", p).value_or(Instant{});
    if (def) {
      ac.plan_codes = def->plan_codes;
      ac.billable_metric_codes = def->billable_metric_codes;
    } else {
      Coupon limits;
      limitations(a, p, limits);
      ac.plan_codes = std::move(limits.plan_codes);
      ac.billable_metric_codes = std::move(limits.billable_metric_codes);
    }
    return ac;
  }

  Wallet wallet(const json& w, const std::string& p) {
    Wallet x;
    x.code = r_.string(w, "code", p).value_or("");
    x.name = r_.string(w, "name", p).value_or("");
    x.active = status(w, "status", p, {"active", "terminated"}) == "active";
    // validates :currency, inclusion: a missing currency is not in the list either.
    if (auto c = currency(w, "currency", p)) x.currency = *c;
    else if (!Reader::has(w, "currency")) r_.add(Reader::at(p, "currency"), "value_is_invalid");
    if (const json* ra = Reader::field(w, "rate_amount")) {
      auto rate = decimal_from_json(*ra);
      if (!rate) r_.add(Reader::at(p, "rate_amount"), "value_is_invalid");
      else if (!rate->is_positive()) r_.add(Reader::at(p, "rate_amount"), "value_is_out_of_range");
      else x.rate_amount = *rate;
    } else {
      r_.add(Reader::at(p, "rate_amount"), "value_is_mandatory");
    }
    auto balance = bounded_integer(w, "balance_cents", p, 0, false);
    x.balance_cents = balance.value_or(0);
    if (auto pr = r_.integer(w, "priority", p)) {
      if (*pr < 1 || *pr > 50) r_.add(Reader::at(p, "priority"), "value_is_invalid");
      else x.priority = static_cast<int>(*pr);
    }
    x.created_at = r_.instant(w, "created_at", p).value_or(Instant{});
    if (const json* at = r_.object(w, "applies_to", p)) {
      const std::string ap = Reader::at(p, "applies_to");
      x.fee_types = r_.strings(*at, "fee_types", ap);
      static const std::set<std::string> kFeeTypes = {"charge", "add_on", "subscription", "credit",
                                                      "commitment", "fixed_charge", "product"};
      for (const auto& t : x.fee_types)
        if (!kFeeTypes.count(t)) {
          r_.add(Reader::at(ap, "fee_types"), "invalid_fee_types");
          break;
        }
      x.billable_metric_codes = r_.strings(*at, "billable_metric_codes", ap);
    }
    return x;
  }

  CreditNote credit_note(const json& n, const std::string& p) {
    CreditNote x;
    x.lago_id = r_.string(n, "lago_id", p).value_or("");
    x.number = r_.string(n, "number", p).value_or(x.lago_id);
    const std::string st = status(n, "credit_status", p, {"available", "consumed", "voided"});
    x.status = st == "consumed" ? CreditStatus::consumed : st == "voided" ? CreditStatus::voided : CreditStatus::available;
    const char* cur_key = Reader::has(n, "currency") || !Reader::has(n, "balance_amount_currency") ? "currency"
                                                                                                   : "balance_amount_currency";
    if (auto c = currency(n, cur_key, p)) x.currency = *c;
    else if (!Reader::has(n, cur_key)) r_.add(Reader::at(p, "currency"), "value_is_invalid");
    auto balance = bounded_integer(n, "balance_amount_cents", p, 0, false);
    if (!Reader::has(n, "balance_amount_cents")) r_.add(Reader::at(p, "balance_amount_cents"), "value_is_mandatory");
    x.balance_amount_cents = balance.value_or(0);
    x.created_at = r_.instant(n, "created_at", p).value_or(Instant{});
    return x;
  }

  // Paths are relative to the request, as Lago's preview reports them (`terminated_at`),
  // except coupons (`request.coupons[0]`), which would otherwise read as organization coupons.
  PreviewRequest preview(const json& req) {
    PreviewRequest out;
    if (const json* c = r_.object(req, "customer", "")) {
      auto& nc = out.customer;
      nc.external_id = r_.string(*c, "external_id", "customer");
      nc.name = r_.string(*c, "name", "customer");
      nc.currency = r_.string(*c, "currency", "customer");
      if (auto tz = r_.string(*c, "timezone", "customer")) {
        nc.timezone = TimeZone::find(*tz);
        if (!nc.timezone) r_.add("customer.timezone", "invalid_timezone");
      }
      nc.invoice_grace_period = bounded_integer(*c, "invoice_grace_period", "customer", 0, false);
      nc.net_payment_term = bounded_integer(*c, "net_payment_term", "customer", 0, false);
    }
    out.plan_code = r_.string(req, "plan_code", "");
    out.external_id = r_.string(req, "external_id", "");
    if (auto bt = r_.string(req, "billing_time", "")) {
      out.billing_time = parse_billing_time(*bt);
      if (!out.billing_time) r_.add("billing_time", "value_is_invalid");
    }
    out.subscription_at = r_.instant(req, "subscription_at", "");
    if (const json* subs = r_.object(req, "subscriptions", "")) {
      if (const json* ids = Reader::field(*subs, "external_ids")) {
        bool ok = ids->is_array();
        if (ok)
          for (const auto& v : *ids) ok = ok && v.is_string();
        if (!ok) r_.add("subscriptions.external_ids", "value_is_invalid");
        else
          for (const auto& v : *ids) out.external_ids.push_back(v.get<std::string>());
      }
      out.target_plan_code = r_.string(*subs, "plan_code", "");
      out.terminated_at = r_.instant(*subs, "terminated_at", "");
    }
    if (const json* cs = r_.array(req, "coupons", "request")) {
      for (size_t i = 0; i < cs->size(); ++i) {
        const std::string p = Reader::at("request.coupons", i);
        const json& c = (*cs)[i];
        if (!c.is_object()) { r_.add(p, "value_is_invalid"); continue; }
        RequestCoupon rc;
        // Lago: the organization coupon of that code, else Coupon.new(attributes).
        if (auto code = r_.string(c, "code", p)) rc.definition = s_.find_coupon(*code);
        if (!rc.definition) rc.inline_coupon = coupon(c, p, Origin::request);
        out.coupons.push_back(std::move(rc));
      }
    }
    return out;
  }

  UsageRequest usage(const json& req) {
    UsageRequest out;
    out.external_subscription_id = r_.string(req, "external_subscription_id", "request", true).value_or("");
    return out;
  }

  EstimateRequest estimate(const json& req) {
    EstimateRequest out;
    const json* e = Reader::field(req, "event");
    if (!e || !e->is_object()) {
      r_.add("event", "value_is_mandatory");
      return out;
    }
    out.code = r_.string(*e, "code", "event", true).value_or("");
    out.transaction_id = r_.string(*e, "transaction_id", "event").value_or("");
    out.external_subscription_id = r_.string(*e, "external_subscription_id", "event", true).value_or("");
    if (const json* props = Reader::field(*e, "properties")) {
      if (!props->is_object()) r_.add("event.properties", "value_is_invalid");
      else out.has_properties = true;
    }
    out.precise_total_amount_cents = r_.decimal(*e, "precise_total_amount_cents", "event");
    return out;
  }
};

}  // namespace

BillingSettings parse_billing_settings(const json& o, const std::string& path, Reader& r) {
  BillingSettings out;
  auto grace = [&](const json& obj, const std::string& p) -> std::optional<int> {
    auto g = r.integer(obj, "invoice_grace_period", p);
    if (!g) return std::nullopt;
    // Lago: numericality ≥ 0; tariff bounds it so that dates stay in range (100 years).
    if (*g < 0 || *g > 36500) {
      r.add(Reader::at(p, "invoice_grace_period"), "value_is_out_of_range");
      return std::nullopt;
    }
    return static_cast<int>(*g);
  };
  out.invoice_grace_period = grace(o, path);
  const std::string bp = Reader::at(path, "billing_configuration");
  if (const json* bc = r.object(o, "billing_configuration", path)) {
    if (auto g = grace(*bc, bp); g && !out.invoice_grace_period) out.invoice_grace_period = g;
    if (auto a = r.string(*bc, "subscription_invoice_issuing_date_anchor", bp)) {
      out.anchor = parse_issuing_date_anchor(*a);
      if (!out.anchor) r.add(Reader::at(bp, "subscription_invoice_issuing_date_anchor"), "value_is_invalid");
    }
    if (auto a = r.string(*bc, "subscription_invoice_issuing_date_adjustment", bp)) {
      out.adjustment = parse_issuing_date_adjustment(*a);
      if (!out.adjustment) r.add(Reader::at(bp, "subscription_invoice_issuing_date_adjustment"), "value_is_invalid");
    }
  }
  return out;
}

void parse_inputs(const json& doc, Snapshot& s, RequestKind kind, Reader& r) {
  InputParser p(doc, s, r);
  p.coupons();
  p.applied_coupons();
  p.wallets();
  p.credit_notes();
  p.request(kind);
}

}  // namespace tariff
