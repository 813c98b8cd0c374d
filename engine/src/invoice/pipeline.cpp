// The shared invoice pipeline (see pipeline.hpp), in Lago's order:
// Invoices::CalculateFeesService (fees, coupons, taxes, credit notes, prepaid credits).
#include "invoice/pipeline.hpp"

#include "core/json_object.hpp"

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

ojson invoice_json(const Snapshot& s, const PreviewContext& ctx, const ComputedInvoice& c, const char* invoice_type) {
  const Currency& cur = ctx.currency;
  JsonObject inv(32);
  inv.add("lago_id", nullptr);
  inv.add("billing_entity_code", nullptr);
  inv.add("sequential_id", nullptr);
  inv.add("number", nullptr);
  inv.add("issuing_date", format_date(ctx.issuing_date));
  inv.add("payment_due_date", format_date(ctx.issuing_date + date::days{ctx.net_payment_term}));
  inv.add("net_payment_term", ctx.net_payment_term);
  inv.add("invoice_type", invoice_type);
  inv.add("status", c.draft ? "draft" : "finalized");
  inv.add("payment_status", "pending");
  inv.add("currency", std::string(cur.code));
  inv.add("version_number", 4);
  inv.add("fees_amount_cents", c.fees_amount);
  inv.add("coupons_amount_cents", c.coupons_amount);
  inv.add("credit_notes_amount_cents", c.credit_notes_amount);
  inv.add("prepaid_credit_amount_cents", c.prepaid);
  inv.add("progressive_billing_credit_amount_cents", c.progressive_amount);
  inv.add("sub_total_excluding_taxes_amount_cents", c.sub_total_excluding);
  inv.add("taxes_amount_cents", c.taxes.amount_cents);
  inv.add("sub_total_including_taxes_amount_cents", c.sub_total_including);
  inv.add("total_amount_cents", c.total);
  inv.add("total_due_amount_cents", c.total);
  // Lago builds its invoice with created_at and updated_at = now.
  inv.add("created_at", format_instant(s.now));
  inv.add("updated_at", format_instant(s.now));
  const Customer* customer = s.customer ? &*s.customer : nullptr;
  inv.add("customer", customer_json(ctx, ctx.existing_customer ? customer : nullptr, s.now));

  ojson subs = ojson::array();
  for (const auto& b : ctx.billed) subs.push_back(subscription_json(b, customer, s.now));
  inv.add("subscriptions", std::move(subs));

  ojson fee_list = ojson::array();
  fee_list.get_ref<ojson::array_t&>().reserve(c.fees.size());
  for (const auto& f : c.fees) fee_list.push_back(fee_json(f, cur, customer, s.explain));
  inv.add("fees", std::move(fee_list));

  ojson credits = ojson::array();
  // Lago's CreditSerializer: the item (the coupon, or the credit note) and the invoice it is on.
  const ojson on_invoice = {{"lago_id", nullptr}, {"payment_status", "pending"}};
  auto coupon_id = [&](const CouponCredit& cc) -> ojson {
    std::string id = cc.applied ? cc.applied->lago_coupon_id : "";
    if (id.empty())
      if (const Coupon* def = s.find_coupon(cc.code)) id = def->lago_id;
    return id.empty() ? ojson(nullptr) : ojson(id);
  };
  for (const auto& p : c.progressive)  // Lago's CreditSerializer for a progressive billing invoice
    credits.push_back({{"lago_id", nullptr},
                       {"amount_cents", p.amount_cents},
                       {"amount_currency", std::string(cur.code)},
                       {"before_taxes", true},
                       {"item", {{"lago_item_id", p.invoice->lago_id.empty() ? ojson(nullptr) : ojson(p.invoice->lago_id)},
                                 {"type", "invoice"},
                                 {"code", p.invoice->number.empty() ? ojson(nullptr) : ojson(p.invoice->number)},
                                 {"name", p.invoice->number.empty() ? ojson(nullptr) : ojson(p.invoice->number)}}},
                       {"invoice", on_invoice}});
  for (const auto& cc : c.coupons)
    credits.push_back({{"lago_id", nullptr},
                       {"amount_cents", cc.amount_cents},
                       {"amount_currency", std::string(cur.code)},
                       {"before_taxes", true},
                       {"item", {{"lago_item_id", coupon_id(cc)}, {"type", "coupon"}, {"code", cc.code}, {"name", cc.name}}},
                       {"invoice", on_invoice}});
  for (const auto& n : c.notes)
    credits.push_back({{"lago_id", nullptr},
                       {"amount_cents", n.amount_cents},
                       {"amount_currency", std::string(cur.code)},
                       {"before_taxes", false},
                       {"item", {{"lago_item_id", n.note && !n.note->lago_id.empty() ? ojson(n.note->lago_id) : ojson(nullptr)},
                                 {"type", "credit_note"},
                                 {"code", n.code.empty() ? ojson(nullptr) : ojson(n.code)}}},
                       {"invoice", on_invoice}});
  inv.add("credits", std::move(credits));

  ojson applied = ojson::array();
  for (const auto& a : c.taxes.applied)
    applied.push_back({{"lago_id", nullptr},
                       {"lago_invoice_id", nullptr},
                       {"lago_tax_id", a.tax->lago_id.empty() ? ojson(nullptr) : ojson(a.tax->lago_id)},
                       {"tax_description", nullptr},
                       {"created_at", nullptr},
                       {"tax_code", a.tax->code},
                       {"tax_name", a.tax->name},
                       {"tax_rate", rate_json(a.tax->rate)},
                       {"amount_currency", std::string(cur.code)},
                       {"amount_cents", a.amount_cents},
                       {"fees_amount_cents", a.fees_amount_cents}});
  inv.add("applied_taxes", std::move(applied));
  return inv.take();
}

}  // namespace tariff
