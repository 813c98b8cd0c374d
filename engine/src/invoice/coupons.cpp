// Coupons in a preview (SEMANTICS §9; Lago's Coupons::PreviewService with Decisions fix 4).
//
// Which coupons: an existing customer's active applied coupons (request coupons are then
// ignored); otherwise each request coupon, as the organization's coupon of that code if there
// is one, else as given. Nothing is consumed. Only when fees_amount_cents > 0.
// Order: metric-limited, plan-limited, unlimited; ties by application time (request order).
// Amount for a base: percentage d = base × rate / 100 → d ≥ base ? base : round(d); fixed
// min(amount, base) (once: the remaining amount); fixed coupons in another currency are
// skipped; stop once the sub-total is ≤ 0.
// Targets and base (§9.3): the metrics' charge fees / the plans' fees / all fees; base =
// Σ (amount − precise_coupons) of the targets for limited coupons, the sub-total otherwise.
// Each target takes credit × its base / base (5 places, capped at its amount_cents).
//   fees 100; fixed 10 → 90; 20 % of 90 = 18; coupons 28, sub-total 72.
#include <algorithm>

#include "invoice/preview.hpp"
#include "snapshot/reader.hpp"

namespace tariff {
namespace {

struct PreviewCoupon {
  std::string code, name;
  bool percentage = false;
  Decimal rate;            // percent
  int64_t amount_cents = 0;
  std::string currency;    // fixed coupons; empty = any
  std::vector<std::string> plan_codes, metric_codes;
  int category() const { return !metric_codes.empty() ? 0 : (!plan_codes.empty() ? 1 : 2); }
};

std::string str(const json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
}


std::optional<int64_t> integer(const json& o, const char* key) {
  if (!o.is_object() || !o.contains(key) || o[key].is_null()) return std::nullopt;
  auto d = decimal_from_json(o[key]);
  if (!d) return std::nullopt;
  return d->round(0).to_int64();
}

std::optional<Decimal> decimal(const json& o, const char* key) {
  if (!o.is_object() || !o.contains(key) || o[key].is_null()) return std::nullopt;
  return decimal_from_json(o[key]);
}

const json* org_coupon(const Snapshot& s, const std::string& code) {
  const json& raw = s.raw;
  if (!raw.contains("coupons") || !raw["coupons"].is_array()) return nullptr;
  for (const auto& c : raw["coupons"])
    if (str(c, "code") == code) return &c;
  return nullptr;
}

// A coupon definition (organization coupon or inline request coupon).
PreviewCoupon from_definition(const json& c) {
  PreviewCoupon p;
  p.code = str(c, "code");
  p.name = str(c, "name");
  if (p.name.empty()) p.name = p.code;
  const std::string type = str(c, "coupon_type");
  p.percentage = type == "percentage" || (type.empty() && decimal(c, "percentage_rate").has_value());
  p.rate = decimal(c, "percentage_rate").value_or(Decimal());
  p.amount_cents = integer(c, "amount_cents").value_or(0);
  p.currency = str(c, "amount_currency");
  p.plan_codes = string_array(c, "plan_codes");
  p.metric_codes = string_array(c, "billable_metric_codes");
  if (c.contains("limited_plans") && c["limited_plans"].is_boolean() && !c["limited_plans"].get<bool>())
    p.plan_codes.clear();
  if (c.contains("limited_billable_metrics") && c["limited_billable_metrics"].is_boolean() &&
      !c["limited_billable_metrics"].get<bool>())
    p.metric_codes.clear();
  return p;
}

std::vector<PreviewCoupon> applied_coupons(const Snapshot& s) {
  struct Entry { PreviewCoupon c; Instant created; size_t order; };
  std::vector<Entry> entries;
  const json& raw = s.raw;
  if (!raw.contains("applied_coupons") || !raw["applied_coupons"].is_array()) return {};
  size_t order = 0;
  for (const auto& a : raw["applied_coupons"]) {
    if (!a.is_object()) continue;
    const std::string status = str(a, "status");
    if (!status.empty() && status != "active") continue;
    const std::string code = str(a, "coupon_code").empty() ? str(a, "code") : str(a, "coupon_code");
    const json* def = org_coupon(s, code);
    PreviewCoupon c = def ? from_definition(*def) : from_definition(a);
    c.code = code;
    if (!str(a, "coupon_name").empty()) c.name = str(a, "coupon_name");
    // The applied coupon carries its own amount, rate and what is left of it.
    if (auto r = decimal(a, "percentage_rate")) {
      c.rate = *r;
      if (str(a, "coupon_type").empty() && !def) c.percentage = true;
    }
    if (str(a, "coupon_type") == "percentage") c.percentage = true;
    if (str(a, "coupon_type") == "fixed_amount") c.percentage = false;
    if (auto amt = integer(a, "amount_cents")) c.amount_cents = *amt;
    if (!str(a, "amount_currency").empty()) c.currency = str(a, "amount_currency");
    const std::string freq = str(a, "frequency");
    if (!c.percentage && freq == "once") {
      if (auto rem = integer(a, "amount_cents_remaining")) c.amount_cents = *rem;
    }
    if (freq == "recurring") {
      if (auto rem = integer(a, "frequency_duration_remaining"); rem && *rem <= 0) continue;
    }
    if (!c.percentage && c.amount_cents <= 0) continue;
    Instant created{};
    if (a.contains("created_at")) created = instant_from_json(a["created_at"]).value_or(Instant{});
    entries.push_back({std::move(c), created, order++});
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    if (x.c.category() != y.c.category()) return x.c.category() < y.c.category();
    return x.created < y.created;
  });
  std::vector<PreviewCoupon> out;
  for (auto& e : entries) out.push_back(std::move(e.c));
  return out;
}

std::vector<PreviewCoupon> request_coupons(const Snapshot& s) {
  std::vector<PreviewCoupon> out;
  const json& req = s.request();
  if (!req.contains("coupons") || !req["coupons"].is_array()) return out;
  for (const auto& rc : req["coupons"]) {
    if (!rc.is_object()) continue;
    const json* def = org_coupon(s, str(rc, "code"));
    out.push_back(from_definition(def ? *def : rc));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PreviewCoupon& a, const PreviewCoupon& b) { return a.category() < b.category(); });
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

std::vector<CouponCredit> apply_coupons(const Snapshot& s, const PreviewContext& ctx, std::vector<InvoiceFee>& fees) {
  std::vector<CouponCredit> credits;
  int64_t fees_amount = 0;
  for (const auto& f : fees) fees_amount = add_cents(fees_amount, f.amount_cents);
  if (fees_amount <= 0) return credits;

  std::vector<PreviewCoupon> coupons;
  if (ctx.existing_customer) coupons = applied_coupons(s);
  if (coupons.empty()) coupons = request_coupons(s);

  int64_t sub_total = fees_amount;
  for (const PreviewCoupon& c : coupons) {
    if (sub_total <= 0) break;
    if (!c.percentage && !c.currency.empty() && c.currency != ctx.currency.code) continue;
    std::vector<InvoiceFee*> targets;
    for (auto& f : fees) {
      if (c.category() == 0) {
        if (f.kind == FeeKind::charge && contains(c.metric_codes, f.metric_code())) targets.push_back(&f);
      } else if (c.category() == 1) {
        if (contains(c.plan_codes, f.sub->plan_code) || contains(c.plan_codes, f.sub->plan->code)) targets.push_back(&f);
      } else {
        targets.push_back(&f);
      }
    }
    Decimal target_base;
    for (const InvoiceFee* f : targets) target_base += f->base_cents();
    const Decimal base = c.category() == 2 ? Decimal(sub_total) : target_base;
    if (!base.is_positive() || !target_base.is_positive()) continue;

    Decimal credit;
    if (c.percentage) {
      const Decimal d = base * c.rate / Decimal(100);
      credit = d >= base ? base : Decimal::mul_div(base, c.rate, Decimal(100), 0);  // rounded once
    } else {
      credit = min(Decimal(c.amount_cents), base);
    }
    credit = min(credit.round(0), Decimal(sub_total));
    if (!credit.is_positive()) continue;

    // Spread over the targets in proportion to what is left of each (5 places, capped).
    std::vector<Decimal> shares;
    for (const InvoiceFee* f : targets) shares.push_back(Decimal::mul_div(credit, f->base_cents(), target_base, 5));
    for (size_t i = 0; i < targets.size(); ++i) {
      InvoiceFee& f = *targets[i];
      f.precise_coupons_amount_cents = min(f.precise_coupons_amount_cents + shares[i], Decimal(f.amount_cents));
    }
    const int64_t amount = to_cents(credit);
    sub_total -= amount;
    credits.push_back(CouponCredit{c.code, c.name, amount});
  }
  return credits;
}

}  // namespace tariff
