// Progressive billing rules (see progressive.hpp), each as Lago's service computes it.
#include "invoice/progressive.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "usage/current_usage.hpp"

namespace tariff {
namespace {

bool on_invoice(const IssuedInvoice& inv, const Subscription& sub) {
  for (const auto& [ext, plan] : inv.subscriptions)
    if (ext == sub.external_id && (plan.empty() || plan == sub.plan_code)) return true;
  return false;
}

// The matching key of a fee: Lago's (charge_id, charge_filter_id, grouped_by).
std::string charge_key(const InvoiceFee& f) {
  return f.charge->lago_id.empty() && f.charge->metric ? f.charge->metric->code : f.charge->lago_id;
}
std::string filter_key(const InvoiceFee& f) {
  if (!f.filter) return "null";
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [k, v] : f.filter->raw_values) o[k] = v;
  return o.dump();
}
std::string group_key(const InvoiceFee& f) {
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [k, v] : f.grouped_by) o[k] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  return o.dump();
}

int64_t ratio_guard(int64_t v) { return v < 0 ? 0 : v; }

}  // namespace

int64_t LifetimeUsage::total_cents() const {
  return add_cents(add_cents(historical_cents, invoiced_cents), current_cents);
}

ProgressiveBilled progressive_billed(const Snapshot& s, const Subscription& sub, Instant ts) {
  ProgressiveBilled out;
  for (const auto& inv : s.issued_invoices) {
    if (!inv.progressive() || !(inv.status == "finalized" || inv.status == "failed")) continue;
    if (!on_invoice(inv, sub) || !inv.charges_from || !inv.charges_to) continue;
    if (!(*inv.charges_from <= ts && ts < *inv.charges_to)) continue;
    // issuing_date desc, then creation (sequential_id, then input order) desc
    if (out.invoice && std::tie(inv.issuing_date, inv.sequential_id, inv.order) <
                           std::tie(out.invoice->issuing_date, out.invoice->sequential_id, out.invoice->order))
      continue;
    out.invoice = &inv;
  }
  if (!out.invoice) return out;
  const IssuedInvoice& p = *out.invoice;
  out.billed_amount_cents = p.fees_amount_cents;
  int64_t taken = 0;  // Invoice#progressive_billing_credits.active: credits on invoices not voided
  for (const auto& inv : s.issued_invoices) {
    if (!inv.counts() || p.lago_id.empty()) continue;
    for (const auto& c : inv.progressive_credits)
      if (c.progressive_invoice_id == p.lago_id) taken = add_cents(taken, c.amount_cents);
  }
  out.to_credit_cents = ratio_guard(sub_cents(sub_cents(p.fees_amount_cents, p.coupons_amount_cents), taken));
  return out;
}

std::vector<ProgressiveCredit> apply_progressive_credits(const Snapshot& s, const PreviewContext& ctx,
                                                         std::vector<InvoiceFee>& fees) {
  std::vector<ProgressiveCredit> credits;
  for (const auto& b : ctx.billed) {
    const ProgressiveBilled pb = progressive_billed(s, *b.sub, b.windows.charges_from);
    if (!pb.invoice) continue;
    std::set<std::string> charges;
    for (const auto& pf : pb.invoice->charge_fees)
      if (pf.external_subscription_id.empty() || pf.external_subscription_id == b.sub->external_id)
        charges.insert(pf.charge_key);
    int64_t total_charges = 0;
    for (const auto& f : fees)
      if (f.kind == FeeKind::charge && f.sub == b.sub && charges.count(charge_key(f)))
        total_charges = add_cents(total_charges, f.amount_cents);
    // More than the matching fees: Lago credits the excess back on the progressive invoice
    // (a credit note, not made here); this invoice takes at most its matching fees.
    const int64_t amount = std::min(pb.to_credit_cents, total_charges);
    if (amount <= 0) continue;
    for (const auto& pf : pb.invoice->charge_fees) {
      if (!pf.external_subscription_id.empty() && pf.external_subscription_id != b.sub->external_id) continue;
      auto it = std::find_if(fees.begin(), fees.end(), [&](const InvoiceFee& f) {
        return f.kind == FeeKind::charge && !f.true_up && f.sub == b.sub && charge_key(f) == pf.charge_key &&
               filter_key(f) == pf.filter_key && group_key(f) == pf.group_key;
      });
      if (it == fees.end()) continue;
      it->precise_coupons_amount_cents =
          min(it->precise_coupons_amount_cents + Decimal(pf.amount_cents), Decimal(it->amount_cents));
    }
    credits.push_back(ProgressiveCredit{pb.invoice, amount});
  }
  return credits;
}

int64_t invoiced_usage_cents(const Snapshot& s, const Subscription& sub) {
  int64_t sum = 0;
  for (const auto& inv : s.issued_invoices) {
    if (inv.invoice_type != "subscription" || !(inv.status == "finalized" || inv.status == "draft")) continue;
    for (const auto& f : inv.charge_fees)
      if (f.external_subscription_id == sub.external_id) sum = add_cents(sum, f.amount_cents);
  }
  return sum;
}

LifetimeUsage lifetime_usage(const Snapshot& s, const Subscription& sub) {
  LifetimeUsage u;
  u.historical_cents = sub.historical_usage_amount_cents;
  u.invoiced_cents = invoiced_usage_cents(s, sub);
  if (sub.status == SubscriptionStatus::active && sub.plan) {
    const UsageComputation uc = compute_usage(s, sub);
    u.current_cents = usage_totals(s, sub, uc).amount_cents;
  }
  return u;
}

std::vector<const UsageThreshold*> passed_thresholds(const std::vector<UsageThreshold>& thresholds,
                                                     const LifetimeUsage& usage, int64_t billed) {
  std::vector<const UsageThreshold*> passed;
  if (thresholds.empty()) return passed;
  std::vector<const UsageThreshold*> fixed;
  const UsageThreshold* recurring = nullptr;
  for (const auto& t : thresholds) {
    if (t.recurring) recurring = &t;
    else fixed.push_back(&t);
  }
  std::stable_sort(fixed.begin(), fixed.end(),
                   [](const UsageThreshold* a, const UsageThreshold* b) { return a->amount_cents < b->amount_cents; });
  // The usage of the period not yet billed progressively; negative: nothing passed.
  const int64_t actual_current = sub_cents(usage.current_cents, billed);
  if (actual_current < 0) return passed;
  const int64_t invoiced = add_cents(add_cents(usage.historical_cents, usage.invoiced_cents), billed);
  const int64_t largest = fixed.empty() ? 0 : fixed.back()->amount_cents;
  const int64_t total = add_cents(invoiced, actual_current);
  if (invoiced < largest) {
    for (const UsageThreshold* t : fixed)
      if (t->amount_cents > invoiced && t->amount_cents <= total) passed.push_back(t);
    if (recurring && sub_cents(total, largest) >= recurring->amount_cents) passed.push_back(recurring);
  } else if (recurring) {
    const int64_t remainder = invoiced % recurring->amount_cents;
    if (add_cents(actual_current, remainder) >= recurring->amount_cents) passed.push_back(recurring);
  }
  return passed;
}

std::vector<ThresholdCompletion> threshold_completion(const Snapshot& s, const Subscription& sub,
                                                      const std::vector<UsageThreshold>& thresholds, int64_t total) {
  std::vector<ThresholdCompletion> out;
  if (thresholds.empty()) return out;
  std::vector<const UsageThreshold*> fixed;
  const UsageThreshold* recurring = nullptr;
  for (const auto& t : thresholds) {
    if (t.recurring) recurring = &t;
    else fixed.push_back(&t);
  }
  std::stable_sort(fixed.begin(), fixed.end(),
                   [](const UsageThreshold* a, const UsageThreshold* b) { return a->amount_cents < b->amount_cents; });
  const int64_t largest = fixed.empty() ? 0 : fixed.back()->amount_cents;
  const std::string now = format_instant(s.now);
  // The applied thresholds of the subscription's progressive invoices.
  std::vector<const IssuedAppliedThreshold*> applied;
  for (const auto& inv : s.issued_invoices)
    if (inv.progressive() && on_invoice(inv, sub))
      for (const auto& a : inv.applied_thresholds) applied.push_back(&a);
  auto same = [](const IssuedAppliedThreshold& a, const UsageThreshold& t) {
    return !t.lago_id.empty() && !a.threshold_id.empty() ? a.threshold_id == t.lago_id
                                                          : a.amount_cents == t.amount_cents && a.recurring == t.recurring;
  };
  std::vector<const UsageThreshold*> passed, not_passed;
  for (const UsageThreshold* t : fixed) (t->amount_cents <= total ? passed : not_passed).push_back(t);
  for (const UsageThreshold* t : passed) {
    std::string reached;
    for (const auto* a : applied)
      if (same(*a, *t) && a->created_at > reached) reached = a->created_at;
    out.push_back({t, t->amount_cents, Decimal(1), reached.empty() ? now : reached});
  }
  const int64_t last = passed.empty() ? 0 : passed.back()->amount_cents;
  if (not_passed.empty()) {
    if (!recurring) return out;
    const int64_t step = recurring->amount_cents;
    const int64_t remainder = add_cents(last, total) % step;
    std::vector<const IssuedAppliedThreshold*> rec;
    for (const auto* a : applied)
      if (same(*a, *recurring)) rec.push_back(a);
    std::stable_sort(rec.begin(), rec.end(), [](const auto* a, const auto* b) {
      return a->lifetime_usage_amount_cents < b->lifetime_usage_amount_cents;
    });
    const int64_t occurrences = sub_cents(total, last) / step;
    for (int64_t i = 0; i < occurrences && i < 10000; ++i) {
      const int64_t amount = add_cents(last, (i + 1) * step);
      std::string reached = now;
      for (const auto* a : rec)
        if (a->lifetime_usage_amount_cents >= amount) {
          reached = a->created_at;
          break;
        }
      out.push_back({recurring, amount, Decimal(1), reached});
    }
    out.push_back({recurring, add_cents(sub_cents(total, remainder), step),
                   Decimal::mul_div(Decimal(remainder), Decimal(1), Decimal(step), 18), std::nullopt});
    return out;
  }
  const UsageThreshold* next = not_passed.front();
  out.push_back({next, next->amount_cents,
                 Decimal::mul_div(Decimal(sub_cents(total, last)), Decimal(1), Decimal(sub_cents(next->amount_cents, last)), 18),
                 std::nullopt});
  for (size_t i = 1; i < not_passed.size(); ++i) out.push_back({not_passed[i], not_passed[i]->amount_cents, Decimal(0), std::nullopt});
  if (recurring) out.push_back({recurring, add_cents(largest, recurring->amount_cents), Decimal(0), std::nullopt});
  return out;
}

ojson usage_threshold_json(const UsageThreshold& t) {
  ojson o;
  o["lago_id"] = t.lago_id.empty() ? ojson(nullptr) : ojson(t.lago_id);
  o["threshold_display_name"] = t.threshold_display_name ? ojson(*t.threshold_display_name) : ojson(nullptr);
  o["amount_cents"] = t.amount_cents;
  o["recurring"] = t.recurring;
  o["created_at"] = t.created_at.empty() ? ojson(nullptr) : ojson(t.created_at);
  o["updated_at"] = t.updated_at.empty() ? ojson(nullptr) : ojson(t.updated_at);
  return o;
}

}  // namespace tariff
