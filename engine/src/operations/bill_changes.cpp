// The state changes an issued invoice implies (Lago's Credits::AppliedCouponService,
// Credits::AppliedPrepaidCreditsService + Wallets::Balance::DecreaseService,
// Credits::CreditNoteService, CreditNotes::CreateFromTermination), from the credits the
// pipeline computed. Each is reported as the object's new values plus what this invoice took.
//
// Applied coupons: once → terminated (a fixed one only when the credit reached its remaining
// amount: 5000 remaining, 3000 credited → 2000 left, still active); recurring → periods left − 1,
// terminated at 0; forever → unchanged. Wallets: balance − debit, credits − debit / rate
// (Lago's WalletCredit: amount / rate_amount), one outbound transaction each. Credit notes:
// balance − consumed, consumed at 0. The termination credit becomes a new credit note on the
// subscription's last advance fee, credited first to this invoice.
#include "operations/bill.hpp"
#include "tariff/rules.hpp"

namespace tariff::billing {
namespace {

using ojson = nlohmann::ordered_json;

const char* frequency_name(CouponFrequency f) {
  switch (f) {
    case CouponFrequency::once: return "once";
    case CouponFrequency::recurring: return "recurring";
    case CouponFrequency::forever: return "forever";
  }
  return "once";
}

ojson coupon_changes(const Snapshot& s, const ComputedInvoice& inv, const InputIds& ids) {
  ojson out = ojson::array();
  for (const CouponCredit& c : inv.coupons) {
    if (!c.applied) continue;
    const AppliedCoupon& a = *c.applied;
    const size_t i = static_cast<size_t>(&a - s.applied_coupons.data());
    ojson o;
    o["lago_id"] = i < ids.applied_coupons.size() ? ids.applied_coupons[i] : ojson(nullptr);
    o["coupon_code"] = a.coupon_code;
    o["frequency"] = frequency_name(a.frequency);
    o["credit_amount_cents"] = c.amount_cents;
    bool terminated = false;
    std::optional<int64_t> remaining;
    std::optional<int64_t> periods = a.frequency_duration_remaining;
    const bool fixed = a.type == CouponType::fixed_amount;
    switch (a.frequency) {
      case CouponFrequency::once:
        if (fixed) {
          const int64_t before = a.amount_cents_remaining.value_or(a.amount_cents.value_or(0));
          remaining = std::max<int64_t>(0, before - c.amount_cents);
          terminated = c.amount_cents >= before;
        } else {
          terminated = true;
        }
        break;
      case CouponFrequency::recurring:
        periods = std::max<int64_t>(0, periods.value_or(0) - 1);
        terminated = *periods <= 0;
        break;
      case CouponFrequency::forever: break;
    }
    o["status"] = terminated ? "terminated" : "active";
    o["amount_cents_remaining"] = remaining ? ojson(*remaining) : ojson(nullptr);
    o["frequency_duration_remaining"] = periods ? ojson(*periods) : ojson(nullptr);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

ojson state_changes(const Snapshot& s, const PreviewContext& ctx, const ComputedInvoice& inv, const InputIds& ids,
                    Instant billing_at) {
  const Currency& cur = ctx.currency;
  ojson changes;
  changes["applied_coupons"] = coupon_changes(s, inv, ids);

  ojson wallets = ojson::array(), transactions = ojson::array();
  for (const WalletDebit& d : inv.wallets) {
    const Wallet& w = *d.wallet;
    const size_t i = static_cast<size_t>(&w - s.wallets.data());
    const ojson id = i < ids.wallets.size() ? ids.wallets[i] : ojson(nullptr);
    const Currency& wc = w.currency;
    // Lago's WalletCredit.from_amount_cents: amount / rate_amount (credits carry 5 decimals).
    const Decimal debited_credits = (wc.from_cents(Decimal(d.amount_cents)) / w.rate_amount).round(5);
    const int64_t balance = w.balance_cents - d.amount_cents;
    Decimal credits = (wc.from_cents(Decimal(w.balance_cents)) / w.rate_amount).round(5);
    if (i < ids.wallet_credits_balance.size() && ids.wallet_credits_balance[i]) credits = *ids.wallet_credits_balance[i];
    ojson o;
    o["lago_id"] = id;
    o["code"] = w.code.empty() ? ojson(nullptr) : ojson(w.code);
    o["balance_cents"] = balance;
    o["credits_balance"] = (credits - debited_credits).to_string();
    o["debited_amount_cents"] = d.amount_cents;
    o["debited_credits"] = debited_credits.to_string();
    wallets.push_back(std::move(o));
    rules::WalletTransactionRecord t;
    t.lago_wallet_id = id;
    t.amount = wc.from_cents(Decimal(d.amount_cents));
    t.amount_cents = d.amount_cents;
    t.credit_amount = debited_credits;
    t.currency = std::string(wc.code);
    t.at = format_instant(billing_at);
    transactions.push_back(rules::wallet_transaction_json(t));
  }
  changes["wallets"] = std::move(wallets);
  changes["wallet_transactions"] = std::move(transactions);

  ojson notes = ojson::array();
  // New: the unused part of each terminated advance fee (credited before any older note).
  int64_t termination_applied = 0;
  for (const auto& n : inv.notes)
    if (!n.note) termination_applied = add_cents(termination_applied, n.amount_cents);
  for (const auto& b : ctx.billed) {
    if (!inv.new_termination_notes) break;
    const TerminationCredit tc = termination_credit(s, b);
    if (tc.total_cents <= 0) continue;
    const int64_t applied = std::min(termination_applied, tc.total_cents);
    termination_applied -= applied;
    ojson o;
    o["lago_id"] = nullptr;
    o["number"] = nullptr;
    o["reason"] = "order_change";
    o["automatic"] = true;
    o["credit_status"] = tc.total_cents - applied > 0 ? "available" : "consumed";
    o["currency"] = std::string(cur.code);
    o["external_subscription_id"] = b.sub->external_id;
    o["plan_code"] = b.sub->plan_code;
    o["issuing_date"] = format_date(b.dates.tz.local_date(billing_at));
    o["total_amount_cents"] = tc.total_cents;
    o["credit_amount_cents"] = tc.total_cents;
    const int64_t net = to_cents((tc.base - tc.coupons).round(0));
    o["coupons_adjustment_amount_cents"] = to_cents(tc.coupons.round(0));
    o["sub_total_excluding_taxes_amount_cents"] = net;
    o["taxes_amount_cents"] = tc.total_cents - net;
    o["taxes_rate"] = rate_json(tc.taxes_rate);
    o["balance_amount_cents"] = tc.total_cents - applied;
    o["consumed_amount_cents"] = applied;
    o["items"] = ojson::array({ojson{{"lago_fee_id", nullptr},
                                     {"fee_type", "subscription"},
                                     {"amount_cents", to_cents(tc.base.round(0))},
                                     {"precise_amount_cents", tc.base.to_string()}}});
    notes.push_back(std::move(o));
  }
  for (const auto& n : inv.notes) {
    if (!n.note) continue;
    const size_t i = static_cast<size_t>(n.note - s.credit_notes.data());
    const int64_t balance = n.note->balance_amount_cents - n.amount_cents;
    ojson o;
    o["lago_id"] = i < ids.credit_notes.size() ? ids.credit_notes[i] : ojson(nullptr);
    o["number"] = n.code.empty() ? ojson(nullptr) : ojson(n.code);
    o["credit_status"] = balance > 0 ? "available" : "consumed";
    o["balance_amount_cents"] = balance;
    o["consumed_amount_cents"] = n.amount_cents;
    notes.push_back(std::move(o));
  }
  changes["credit_notes"] = std::move(notes);
  return changes;
}

}  // namespace tariff::billing
