#include "usage/taxes.hpp"

#include <algorithm>

namespace tariff {

int64_t to_cents(const Decimal& d) { return d.round(0).to_int64(); }

TaxList select_taxes(const std::optional<TaxList>& own, const Plan& plan, const Snapshot& s) {
  if (own && !own->empty()) return *own;
  if (plan.taxes && !plan.taxes->empty()) return *plan.taxes;
  if (s.customer && s.customer->taxes && !s.customer->taxes->empty()) return *s.customer->taxes;
  return s.organization.taxes;
}

FeeTaxes fee_taxes(const Decimal& base, const TaxList& taxes) {
  FeeTaxes out;
  for (const Tax* t : taxes) {
    out.rate += t->rate;
    if (base.is_positive()) out.precise += Decimal::mul_div(base, t->rate, Decimal(100));
  }
  out.amount_cents = to_cents(out.precise);
  return out;
}

InvoiceTaxes invoice_taxes(const std::vector<TaxedBase>& fees) {
  InvoiceTaxes out;
  for (const auto& f : fees) {
    for (const Tax* t : *f.taxes) {
      auto it = std::find_if(out.applied.begin(), out.applied.end(), [&](const AppliedTax& a) { return a.tax == t; });
      if (it == out.applied.end()) {
        out.applied.push_back(AppliedTax{t, Decimal(), Decimal(), 0, 0});
        it = out.applied.end() - 1;
      }
      if (!f.base_cents.is_positive()) continue;
      it->fees_base += f.base_cents;
      it->precise += Decimal::mul_div(f.base_cents, t->rate, Decimal(100));
    }
  }
  Decimal total;
  for (auto& a : out.applied) {
    a.amount_cents = to_cents(a.precise);
    a.fees_amount_cents = a.fees_base.truncate(0).to_int64();
    total += a.precise;
  }
  out.amount_cents = to_cents(total);
  return out;
}

}  // namespace tariff
