// The taxes of each fee (Lago's Fee::AppliedTax, Fees::ApplyTaxesService): one row per tax of
// the fee, amount_cents = round(sub_total_excluding_taxes × rate / 100), the base being the
// fee's amount net of its coupon share (taxes are applied after coupons). A 100.00 fee with
// 20 % VAT and 5.5 %: 2000 and 550; the same fee with a 10.00 coupon: 1800 and 495.
// Lago prints them with GET /fees (FeeSerializer includes applied_taxes), not in the invoice's
// fees: `bill` returns them beside the invoice (fee_applied_taxes, docs/billing.md).
#include "operations/bill.hpp"
#include "usage/taxes.hpp"

namespace tariff::billing {

using ojson = nlohmann::ordered_json;

ojson fee_applied_taxes(const InvoiceFee& f, const Currency& cur) {
  ojson out = ojson::array();
  for (const Tax* t : f.taxes) {
    const FeeTaxes one = fee_taxes(f.base_cents(), TaxList{t});
    out.push_back({{"lago_id", nullptr},
                   {"lago_fee_id", nullptr},
                   {"lago_tax_id", t->lago_id.empty() ? ojson(nullptr) : ojson(t->lago_id)},
                   {"tax_name", t->name},
                   {"tax_code", t->code},
                   {"tax_rate", rate_json(t->rate)},
                   {"tax_description", nullptr},
                   {"amount_cents", one.amount_cents},
                   {"amount_currency", std::string(cur.code)},
                   {"created_at", nullptr}});
  }
  return out;
}

ojson invoice_fee_taxes(const ComputedInvoice& inv, const Currency& cur) {
  ojson out = ojson::array();
  for (const InvoiceFee& f : inv.fees) out.push_back(fee_applied_taxes(f, cur));
  return out;
}

}  // namespace tariff::billing
