// After-tax credits (SEMANTICS §10, §12): the unused advance fee of a terminated or upgraded
// subscription, available credit notes, then prepaid credits from wallets.
//
// Termination credit (§10.1, Lago's CreditNotes::CreateFromTermination): day_price =
// plan.amount_cents / duration; unused days = period end − billed_from, billed_from = the
// termination day (the day before it on an upgrade); amount = min(day_price × days, plan
// amount) truncated to 5 places, plus the fee's taxes, rounded. Without history the engine
// assumes the last fee was the full current-period amount, with today's taxes and no coupon.
//   3100 per month, terminated 03-28: (31 − 28) × 100 = 300, + 20 % = 360.
// With the last subscription fee in snapshot.invoices (docs/billing.md), as Lago: its
// plan_amount_cents gives the day price, the credit is capped at its amount_cents, less its
// coupons' share (amount × precise_coupons / fee amount) and plus its tax rate; none if its
// invoice was voided or it was 0.
//   fee 1600 (prorated start) with 160 of coupons, 20 % tax; 20 days unused of 31 at 3100:
//   min(2000, 1600) = 1600 − 160 = 1440, + 288 = 1728.
// Credit notes (Decisions fix 1): oldest first, each min(balance, running total).
// Wallets (§10.2): by priority then creation; caps per (fee type, metric) of fees with a
// non-zero sub-total; each wallet pays the keys it may pay, min(key, wallet, invoice left).
#include <algorithm>
#include <string_view>

#include "invoice/pipeline.hpp"

namespace tariff {
namespace {

// Lago's Subscription#last_subscription_fee: the subscription's latest subscription fee.
const BilledFee* last_subscription_fee(const Snapshot& s, const Subscription& sub) {
  const BilledFee* last = nullptr;
  for (const BilledFee& f : s.billed_fees) {
    if (f.fee_type != "subscription" || f.external_subscription_id != sub.external_id) continue;
    if (!f.plan_code.empty() && f.plan_code != sub.plan_code && f.plan_code != sub.plan->code) continue;
    if (!last || f.to > last->to || (f.to == last->to && f.order > last->order)) last = &f;
  }
  return last;
}

}  // namespace

int64_t termination_credit_cents(const Snapshot& s, const BilledSubscription& b) {
  return termination_credit(s, b).total_cents;
}

TerminationCredit termination_credit(const Snapshot& s, const BilledSubscription& b) {
  using Credit = BilledSubscription::Credit;
  if (b.credit == Credit::none || !b.dates.terminated_at) return {};
  const Subscription& sub = *b.sub;
  const Plan& plan = *sub.plan;
  if (plan.amount_cents <= 0) return {};
  const TimeZone& tz = b.dates.tz;
  const date::local_days day = tz.local_date(*b.dates.terminated_at);
  const date::local_days billed_from = b.credit == Credit::upgrade ? day - date::days{1} : day;
  const date::year_month_day anchor{tz.local_date(sub.subscription_at)};
  const DayRange period = period_containing(plan.interval, sub.billing_time, anchor, day);
  const int64_t days = static_cast<int64_t>((period.last - billed_from).count());
  if (days <= 0) return {};
  if (const BilledFee* last = last_subscription_fee(s, sub)) {
    if (last->voided || last->amount_cents <= 0) return {};
    const Decimal fee_amount(last->amount_cents);
    const Decimal plan_amount(last->plan_amount_cents.value_or(plan.amount_cents));
    // day_price × days, truncated to 5 places straight from the exact quotient
    const Decimal amount =
        min(Decimal::mul_div(plan_amount, Decimal(days), Decimal(period.days()), 5, RoundingMode::truncate),
            fee_amount.truncate(5));
    const Decimal coupons = Decimal::mul_div(last->precise_coupons_amount_cents, amount, fee_amount);
    const Decimal base = amount - coupons;
    const Decimal taxes = base * last->taxes_rate / Decimal(100);
    return TerminationCredit{amount, coupons, (base + taxes).round(0).to_int64(), last->taxes_rate};
  }
  const Decimal amount = min(Decimal::mul_div(Decimal(plan.amount_cents), Decimal(days), Decimal(period.days()), 5,
                                              RoundingMode::truncate),
                             Decimal(plan.amount_cents));
  const TaxList taxes = select_taxes(std::nullopt, plan, s);
  Decimal rate;
  for (const Tax* t : taxes) rate += t->rate;
  // amount × (1 + rate/100), rounded once
  return TerminationCredit{amount, Decimal(), Decimal::mul_div(amount, Decimal(100) + rate, Decimal(100), 0).to_int64(),
                           rate};
}

std::vector<CreditNoteCredit> apply_credit_notes(const Snapshot& s, const PreviewContext& ctx,
                                                 int64_t termination_credit, int64_t& total) {
  std::vector<CreditNoteCredit> out;
  if (termination_credit > 0 && total > 0) {
    const int64_t c = std::min(termination_credit, total);
    total -= c;
    out.push_back(CreditNoteCredit{"", c, nullptr});
  }
  if (!ctx.existing_customer) return out;
  struct Note { std::string code; int64_t balance; Instant created; const CreditNote* note; };
  std::vector<Note> notes;
  for (const CreditNote& n : s.credit_notes) {
    if (n.status != CreditStatus::available) continue;
    if (n.currency.code != ctx.currency.code) continue;
    if (n.balance_amount_cents <= 0) continue;
    notes.push_back(Note{n.number, n.balance_amount_cents, n.created_at, &n});
  }
  std::stable_sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) { return a.created < b.created; });
  for (const Note& n : notes) {
    if (total <= 0) break;
    const int64_t c = std::min(n.balance, total);
    total -= c;
    out.push_back(CreditNoteCredit{n.code, c, n.note});
  }
  return out;
}

int64_t apply_wallets(const Snapshot& s, const PreviewContext& ctx, const std::vector<InvoiceFee>& fees, int64_t total,
                      std::vector<WalletDebit>* debits) {
  if (!ctx.existing_customer || total <= 0) return 0;
  struct Entry { int64_t balance; const Wallet* w; };
  std::vector<Entry> wallets;
  for (const Wallet& w : s.wallets) {
    if (!w.active || w.currency.code != ctx.currency.code || w.balance_cents <= 0) continue;
    wallets.push_back(Entry{w.balance_cents, &w});
  }
  if (wallets.empty()) return 0;
  std::stable_sort(wallets.begin(), wallets.end(), [](const Entry& a, const Entry& b) {
    return a.w->priority != b.w->priority ? a.w->priority < b.w->priority : a.w->created_at < b.w->created_at;
  });

  // Caps per (fee type, metric): what each kind of fee adds to the total after tax.
  struct Key { std::string_view type, metric; Decimal cap; int64_t left = 0; };
  std::vector<Key> keys;
  for (const auto& f : fees) {
    if (f.base_cents().is_zero()) continue;
    const std::string_view type = fee_kind_name(f.kind);
    const std::string_view metric =
        f.kind == FeeKind::charge && f.charge && f.charge->metric ? std::string_view(f.charge->metric->code) : std::string_view();
    auto it = std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.type == type && k.metric == metric; });
    if (it == keys.end()) {
      keys.push_back(Key{type, metric, Decimal(), 0});
      it = keys.end() - 1;
    }
    it->cap += f.base_cents() + f.fee_taxes.precise;
  }
  int64_t caps = 0;
  for (auto& k : keys) {
    k.left = std::max<int64_t>(0, to_cents(k.cap));
    caps = add_cents(caps, k.left);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.left > b.left; });
  const int64_t gap = total - caps;
  if (!keys.empty() && gap > 0 && gap <= static_cast<int64_t>(keys.size())) keys.front().left += gap;

  int64_t invoice_left = total, prepaid = 0;
  for (Entry& w : wallets) {
    const std::vector<std::string>& types = w.w->fee_types;
    const std::vector<std::string>& metrics = w.w->billable_metric_codes;
    const bool unrestricted = types.empty() && metrics.empty();
    for (Key& k : keys) {
      if (invoice_left <= 0 || w.balance <= 0) break;
      const bool payable = unrestricted || (!k.metric.empty() && std::find(metrics.begin(), metrics.end(), k.metric) != metrics.end()) ||
                           std::find(types.begin(), types.end(), k.type) != types.end();
      if (!payable || k.left <= 0) continue;
      const int64_t take = std::min({k.left, w.balance, invoice_left});
      k.left -= take;
      w.balance -= take;
      invoice_left -= take;
      prepaid += take;
    }
    if (debits && w.balance < w.w->balance_cents) debits->push_back(WalletDebit{w.w, w.w->balance_cents - w.balance});
  }
  return prepaid;
}

}  // namespace tariff
