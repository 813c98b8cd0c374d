// Coupons in a preview (SEMANTICS §9; Lago's Coupons::PreviewService with Decisions fix 4).
//
// Which coupons: an existing customer's active applied coupons (request coupons are then
// ignored); otherwise each request coupon, as the organization's coupon of that code if there
// is one, else as given and unlimited. Nothing is consumed. Only when fees_amount_cents > 0.
// Order: metric-limited, plan-limited, unlimited; ties by application time (request order).
// Amount for a base: percentage d = base × rate / 100 → d ≥ base ? base : round(d); fixed
// min(amount, base) (once: the remaining amount); fixed coupons in another currency, or
// without one (an inline request coupon), are skipped; stop once the sub-total is ≤ 0.
// Targets and base (§9.3): the metrics' charge fees / the plans' fees / all fees; base =
// Σ (amount − precise_coupons) of the targets for limited coupons, the sub-total otherwise.
// Each target takes credit × its base / base (5 places, capped at its amount_cents).
//   fees 100; fixed 10 → 90; 20 % of 90 = 18; coupons 28, sub-total 72.
#include <algorithm>

#include "invoice/preview.hpp"

namespace tariff {
namespace {

struct PreviewCoupon {
  std::string code, name;
  bool percentage = false;
  Decimal rate;            // percent
  int64_t amount_cents = 0;
  std::optional<Currency> currency;  // fixed coupons: none matches no invoice (Lago)
  std::vector<std::string> plan_codes, metric_codes;
  const AppliedCoupon* applied = nullptr;
  int category() const { return !metric_codes.empty() ? 0 : (!plan_codes.empty() ? 1 : 2); }
};

// A coupon applied fresh (request coupons): full amount, full frequency.
PreviewCoupon from_definition(const Coupon& c) {
  PreviewCoupon p;
  p.code = c.code;
  p.name = c.name.empty() ? c.code : c.name;
  p.percentage = c.type == CouponType::percentage;
  p.rate = c.percentage_rate.value_or(Decimal());
  p.amount_cents = c.amount_cents.value_or(0);
  p.currency = c.amount_currency;
  p.plan_codes = c.plan_codes;
  p.metric_codes = c.billable_metric_codes;
  return p;
}

// The customer's active applied coupons with what is left of them, metric-limited first,
// then plan-limited, then by application time.
std::vector<PreviewCoupon> applied_coupons(const Snapshot& s) {
  struct Entry { PreviewCoupon c; Instant created; };
  std::vector<Entry> entries;
  for (const AppliedCoupon& a : s.applied_coupons) {
    if (!a.active) continue;
    PreviewCoupon c;
    c.code = a.coupon_code;
    c.name = a.coupon_name;
    c.percentage = a.type == CouponType::percentage;
    c.rate = a.percentage_rate.value_or(Decimal());
    c.amount_cents = a.amount_cents.value_or(0);
    if (!c.percentage && a.frequency == CouponFrequency::once && a.amount_cents_remaining)
      c.amount_cents = *a.amount_cents_remaining;
    c.currency = a.amount_currency;
    c.plan_codes = a.plan_codes;
    c.metric_codes = a.billable_metric_codes;
    c.applied = &a;
    if (a.frequency == CouponFrequency::recurring && a.frequency_duration_remaining.value_or(0) <= 0) continue;
    if (!c.percentage && c.amount_cents <= 0) continue;
    entries.push_back({std::move(c), a.created_at});
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
  if (!s.preview_request) return out;
  for (const RequestCoupon& rc : s.preview_request->coupons) out.push_back(from_definition(rc.coupon()));
  std::stable_sort(out.begin(), out.end(),
                   [](const PreviewCoupon& a, const PreviewCoupon& b) { return a.category() < b.category(); });
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

std::vector<CouponCredit> apply_coupons(const Snapshot& s, const PreviewContext& ctx, std::vector<InvoiceFee>& fees,
                                        int64_t credited) {
  std::vector<CouponCredit> credits;
  int64_t fees_amount = 0;
  for (const auto& f : fees) fees_amount = add_cents(fees_amount, f.amount_cents);
  if (fees_amount <= 0) return credits;

  std::vector<PreviewCoupon> coupons;
  if (ctx.existing_customer) coupons = applied_coupons(s);
  if (coupons.empty()) coupons = request_coupons(s);

  int64_t sub_total = sub_cents(fees_amount, credited);
  for (const PreviewCoupon& c : coupons) {
    if (sub_total <= 0) break;
    // Coupons::PreviewService: `next if fixed_amount? && invoice.currency != amount_currency`
    // — a fixed coupon without currency (an inline one) matches no invoice.
    if (!c.percentage && (!c.currency || c.currency->code != ctx.currency.code)) continue;
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
    credits.push_back(CouponCredit{c.code, c.name, amount, c.applied});
  }
  return credits;
}

}  // namespace tariff
