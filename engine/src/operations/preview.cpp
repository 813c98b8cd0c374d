// preview (CONTRACT §2, SEMANTICS §12): the whole invoice Lago would issue, as
// {"invoices": [Invoice]}. Totals follow Lago's order exactly:
//   fees → coupons (before tax) → taxes → termination credit and credit notes → wallets
//   fees 4100 − coupon 500 = 3600; + 20 % tax 720 = 4320; − credit note 1000 = 3320;
//   − wallet 2000 = 1320 due.
#include "invoice/preview.hpp"
#include "operations/operations.hpp"

namespace tariff::ops {
namespace {

// A coupon's Lago id by code (Lago's credit item for a coupon is the coupon), from the
// snapshot's coupons or applied coupons as given; null when none says it.
ordered_json coupon_id(const Snapshot& s, const std::string& code) {
  for (const char* section : {"coupons", "applied_coupons"}) {
    const json& list = s.raw.contains(section) ? s.raw[section] : json();
    if (!list.is_array()) continue;
    for (const auto& c : list) {
      if (!c.is_object()) continue;
      const auto at = c.find(std::string(section) == "coupons" ? "code" : "coupon_code");
      if (at == c.end() || *at != code) continue;
      const auto id = c.find(std::string(section) == "coupons" ? "lago_id" : "lago_coupon_id");
      if (id != c.end() && id->is_string()) return id->get<std::string>();
    }
  }
  return nullptr;
}

}  // namespace

ordered_json preview(json& doc) {
  const Snapshot s = parse_snapshot(doc, RequestKind::preview);
  const PreviewContext ctx = build_preview_context(s);
  const Currency& cur = ctx.currency;

  std::vector<InvoiceFee> fees;
  for (const auto& b : ctx.billed) {
    add_subscription_fee(s, b, fees);
    add_charge_fees(s, b, fees);
    add_fixed_charge_fees(s, b, fees);
    add_commitment_fee(s, b, fees);
  }
  int64_t fees_amount = 0;
  for (const auto& f : fees) fees_amount = add_cents(fees_amount, f.amount_cents);

  const std::vector<CouponCredit> coupons = apply_coupons(s, ctx, fees);
  int64_t coupons_amount = 0;
  for (const auto& c : coupons) coupons_amount = add_cents(coupons_amount, c.amount_cents);
  const int64_t sub_total_excluding = sub_cents(fees_amount, coupons_amount);

  // §8: each fee's taxes on its base after coupons; the invoice rounds per tax and in total.
  std::vector<TaxedBase> bases;
  for (auto& f : fees) {
    std::optional<TaxList> own;
    if (f.kind == FeeKind::charge) own = f.charge->taxes;
    else if (f.kind == FeeKind::fixed_charge) own = f.fixed->taxes;
    else if (f.kind == FeeKind::commitment) own = f.sub->plan->minimum_commitment->taxes;
    f.taxes = select_taxes(own, *f.sub->plan, s);
    f.fee_taxes = fee_taxes(f.base_cents(), f.taxes);
  }
  for (const auto& f : fees) bases.push_back(TaxedBase{f.base_cents(), &f.taxes});
  const InvoiceTaxes taxes = invoice_taxes(bases);
  const int64_t sub_total_including = add_cents(sub_total_excluding, taxes.amount_cents);

  int64_t total = sub_total_including;
  int64_t termination_credit = 0;
  for (const auto& b : ctx.billed) termination_credit = add_cents(termination_credit, termination_credit_cents(s, b));
  const std::vector<CreditNoteCredit> notes = apply_credit_notes(s, ctx, termination_credit, total);
  int64_t credit_notes_amount = 0;
  for (const auto& n : notes) credit_notes_amount = add_cents(credit_notes_amount, n.amount_cents);
  const int64_t prepaid = apply_wallets(s, ctx, fees, total);
  total = sub_cents(total, prepaid);

  ordered_json inv;
  inv["lago_id"] = nullptr;
  inv["billing_entity_code"] = nullptr;
  inv["sequential_id"] = nullptr;
  inv["number"] = nullptr;
  inv["issuing_date"] = format_date(ctx.issuing_date);
  inv["payment_due_date"] = format_date(ctx.issuing_date + date::days{ctx.net_payment_term});
  inv["net_payment_term"] = ctx.net_payment_term;
  inv["invoice_type"] = "subscription";
  inv["status"] = "finalized";
  inv["payment_status"] = "pending";
  inv["currency"] = std::string(cur.code);
  inv["version_number"] = 4;
  inv["fees_amount_cents"] = fees_amount;
  inv["coupons_amount_cents"] = coupons_amount;
  inv["credit_notes_amount_cents"] = credit_notes_amount;
  inv["prepaid_credit_amount_cents"] = prepaid;
  inv["progressive_billing_credit_amount_cents"] = 0;
  inv["sub_total_excluding_taxes_amount_cents"] = sub_total_excluding;
  inv["taxes_amount_cents"] = taxes.amount_cents;
  inv["sub_total_including_taxes_amount_cents"] = sub_total_including;
  inv["total_amount_cents"] = total;
  inv["total_due_amount_cents"] = total;
  // Lago's preview builds its invoice with created_at and updated_at = now, and saves nothing.
  inv["created_at"] = format_instant(s.now);
  inv["updated_at"] = format_instant(s.now);
  inv["customer"] = customer_json(ctx, ctx.existing_customer && s.customer ? &*s.customer : nullptr, s.now);

  ordered_json subs = ordered_json::array();
  for (const auto& b : ctx.billed)
    subs.push_back(subscription_json(b, s.customer ? &*s.customer : nullptr, s.now));
  inv["subscriptions"] = std::move(subs);

  ordered_json fee_list = ordered_json::array();
  const Customer* customer = s.customer ? &*s.customer : nullptr;
  for (const auto& f : fees) fee_list.push_back(fee_json(f, cur, customer));
  inv["fees"] = std::move(fee_list);

  ordered_json credits = ordered_json::array();
  // Lago's CreditSerializer: item (coupon or credit note) and the invoice it is on.
  const ordered_json on_invoice = {{"lago_id", nullptr}, {"payment_status", "pending"}};
  for (const auto& c : coupons)
    credits.push_back({{"lago_id", nullptr},
                       {"amount_cents", c.amount_cents},
                       {"amount_currency", std::string(cur.code)},
                       {"before_taxes", true},
                       {"item", {{"lago_item_id", coupon_id(s, c.code)}, {"type", "coupon"}, {"code", c.code}, {"name", c.name}}},
                       {"invoice", on_invoice}});
  for (const auto& n : notes)
    credits.push_back({{"lago_id", nullptr},
                       {"amount_cents", n.amount_cents},
                       {"amount_currency", std::string(cur.code)},
                       {"before_taxes", false},
                       {"item", {{"lago_item_id", nullptr},
                                 {"type", "credit_note"},
                                 {"code", n.code.empty() ? ordered_json(nullptr) : ordered_json(n.code)}}},
                       {"invoice", on_invoice}});
  inv["credits"] = std::move(credits);

  ordered_json applied = ordered_json::array();
  for (const auto& a : taxes.applied)
    applied.push_back({{"lago_id", nullptr},
                       {"lago_invoice_id", nullptr},
                       {"lago_tax_id", a.tax->lago_id.empty() ? ordered_json(nullptr) : ordered_json(a.tax->lago_id)},
                       {"tax_description", nullptr},
                       {"created_at", nullptr},
                       {"tax_code", a.tax->code},
                       {"tax_name", a.tax->name},
                       {"tax_rate", rate_json(a.tax->rate)},
                       {"amount_currency", std::string(cur.code)},
                       {"amount_cents", a.amount_cents},
                       {"fees_amount_cents", a.fees_amount_cents}});
  inv["applied_taxes"] = std::move(applied);

  ordered_json out;
  out["invoices"] = ordered_json::array({std::move(inv)});
  return out;
}

}  // namespace tariff::ops
