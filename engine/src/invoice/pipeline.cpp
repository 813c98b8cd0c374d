// The shared invoice pipeline (see pipeline.hpp), in Lago's order:
// Invoices::CalculateFeesService (fees, coupons, taxes, credit notes, prepaid credits).
#include "invoice/pipeline.hpp"

namespace tariff {

ComputedInvoice compute_invoice(const Snapshot& s, const PreviewContext& ctx, PriceOptions options) {
  std::vector<InvoiceFee> fees;
  for (const auto& b : ctx.billed) {
    add_subscription_fee(s, b, fees);
    add_charge_fees(s, b, fees);
    add_fixed_charge_fees(s, b, fees);
    add_commitment_fee(s, b, fees);
  }
  ComputedInvoice inv = price_invoice(s, ctx, std::move(fees), options);
  return inv;
}

ComputedInvoice price_invoice(const Snapshot& s, const PreviewContext& ctx, std::vector<InvoiceFee> fees,
                              PriceOptions options) {
  ComputedInvoice inv;
  inv.draft = !options.credits;
  inv.new_termination_notes = options.termination_credit;
  inv.fees = std::move(fees);
  for (const auto& f : inv.fees) inv.fees_amount = add_cents(inv.fees_amount, f.amount_cents);

  // §11: what progressive invoices of the period billed (invoice/progressive.cpp), before coupons.
  inv.progressive = apply_progressive_credits(s, ctx, inv.fees);
  for (const auto& p : inv.progressive) inv.progressive_amount = add_cents(inv.progressive_amount, p.amount_cents);
  // Lago's CalculateFeesService: the progressive credit applies to drafts too; coupons only when finalizing.
  if (options.credits) inv.coupons = apply_coupons(s, ctx, inv.fees, inv.progressive_amount);
  for (const auto& c : inv.coupons) inv.coupons_amount = add_cents(inv.coupons_amount, c.amount_cents);
  inv.sub_total_excluding = sub_cents(sub_cents(inv.fees_amount, inv.progressive_amount), inv.coupons_amount);

  // §8: each fee's taxes on its base after coupons; the invoice rounds per tax and in total.
  std::vector<TaxedBase> bases;
  for (auto& f : inv.fees) {
    std::optional<TaxList> own;
    if (f.kind == FeeKind::charge) own = f.charge->taxes;
    else if (f.kind == FeeKind::fixed_charge) own = f.fixed->taxes;
    else if (f.kind == FeeKind::commitment) own = f.sub->plan->minimum_commitment->taxes;
    f.taxes = select_taxes(own, *f.sub->plan, s);
    f.fee_taxes = fee_taxes(f.base_cents(), f.taxes);
  }
  for (const auto& f : inv.fees) bases.push_back(TaxedBase{f.base_cents(), &f.taxes});
  inv.taxes = invoice_taxes(bases);
  inv.sub_total_including = add_cents(inv.sub_total_excluding, inv.taxes.amount_cents);

  int64_t total = inv.sub_total_including;
  if (options.termination_credit)
    for (const auto& b : ctx.billed)
      inv.termination_credit = add_cents(inv.termination_credit, termination_credit_cents(s, b));
  if (!options.credits) {  // a draft: the termination note is issued, nothing is consumed yet
    inv.total = total;
    return inv;
  }
  inv.notes = apply_credit_notes(s, ctx, inv.termination_credit, total);
  for (const auto& n : inv.notes) inv.credit_notes_amount = add_cents(inv.credit_notes_amount, n.amount_cents);
  inv.prepaid = apply_wallets(s, ctx, inv.fees, total, &inv.wallets);
  inv.total = sub_cents(total, inv.prepaid);
  return inv;
}

}  // namespace tariff
