// The invoice pipeline shared by `preview` and `bill` (SEMANTICS §12): one code path from a
// context to the invoice, so the invoice the server issues at a billing instant and the preview
// taken just before it cannot drift.
//
//   fees (context) → coupons before tax → taxes → termination credit and credit notes → wallets
//   fees 4100 − coupon 500 = 3600; + 20 % tax 720 = 4320; − credit note 1000 = 3320;
//   − wallet 2000 = 1320 due.
//
// price_invoice() also takes fees built elsewhere (a pay-in-advance charge's per-event fees).
// Nothing is consumed here: the credits say which applied coupon, credit note and wallet gave
// how much, and the caller decides whether that is a preview or a state change.
#pragma once

#include <vector>

#include "invoice/preview.hpp"
#include "invoice/progressive.hpp"

namespace tariff {

struct WalletDebit {
  const Wallet* wallet = nullptr;
  int64_t amount_cents = 0;
};

// What the pricing applies after fees and taxes (Lago's CalculateFeesService contexts).
struct PriceOptions {
  // Coupons, credit notes and wallets: not on a draft (context :draft: fees and taxes only).
  bool credits = true;
  // The termination credit of an advance fee (CreditNotes::CreateFromTermination): not again
  // when a draft is finalized (its note was issued with the draft and is among the notes).
  bool termination_credit = true;
};

struct ComputedInvoice {
  bool draft = false;                    // !options.credits: Lago's invoice in its grace period
  bool new_termination_notes = true;     // options.termination_credit
  std::vector<InvoiceFee> fees;
  std::vector<ProgressiveCredit> progressive;  // progressive billing credits (§11), before coupons
  std::vector<CouponCredit> coupons;
  std::vector<CreditNoteCredit> notes;  // the termination credit first (note == nullptr)
  std::vector<WalletDebit> wallets;
  InvoiceTaxes taxes;
  int64_t progressive_amount = 0;
  int64_t fees_amount = 0, coupons_amount = 0, sub_total_excluding = 0, sub_total_including = 0;
  int64_t termination_credit = 0;  // before it is capped by the total
  int64_t credit_notes_amount = 0, prepaid = 0, total = 0;
};

// The fees of every billed subscription of the context, in Lago's order, then priced.
ComputedInvoice compute_invoice(const Snapshot& s, const PreviewContext& ctx, PriceOptions options = {});
// Coupons, taxes, credits and wallets over the given fees.
ComputedInvoice price_invoice(const Snapshot& s, const PreviewContext& ctx, std::vector<InvoiceFee> fees,
                              PriceOptions options = {});

// Lago's Invoice object (ids, sequential_id and number null: the caller assigns them), as a
// tree, or written straight to text (the same bytes; invoice/invoice_json.cpp). `customer_text`
// (invoices of one customer, as compare_plans writes them): the customer block's text, written
// into it when empty, else copied from it.
ojson invoice_json(const Snapshot& s, const PreviewContext& ctx, const ComputedInvoice& inv, const char* invoice_type = "subscription");
class JsonText;
void write_invoice_json(JsonText& out, const Snapshot& s, const PreviewContext& ctx, const ComputedInvoice& inv,
                        const char* invoice_type = "subscription", std::string* customer_text = nullptr);

}  // namespace tariff
