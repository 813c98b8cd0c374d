// Invoice preview (SEMANTICS §4–§13): the invoice Lago would issue for a new subscription
// (proposal), the next periodic invoice of existing subscriptions (projection), a termination
// or a plan change — computed from the snapshot alone, nothing stored.
//
// The pipeline, in Lago's order (§12): a PreviewContext decides which subscriptions are billed
// at which billing instant B and which kinds of fees each one gets (§13); the fee builders make
// subscription (§5), charge (+ per-charge true-up, §7.2), fixed-charge (§6) and commitment
// (§7.1) fees; then coupons before tax (§9), taxes (§8), credit notes (§10.1), wallets (§10.2).
// Each fee is rounded once, to the currency, where Lago rounds it; invoice totals are integers.
//
// The pipeline itself (coupons → wallets and the serializer) is invoice/pipeline.hpp, shared with
// `bill`. Stored history is read only where the snapshot carries it (snapshot.invoices,
// docs/billing.md: the termination credit, the commitment's per-event fees); otherwise it is
// implied by the dates. Not reproduced: progressive billing credits (§11).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "usage/taxes.hpp"
#include "snapshot/snapshot.hpp"

namespace tariff {

using ojson = nlohmann::ordered_json;

enum class FeeKind { subscription, charge, fixed_charge, commitment };
const char* fee_kind_name(FeeKind k);

// One line of the invoice. Cents fields are in the invoice currency's minor unit.
struct InvoiceFee {
  FeeKind kind = FeeKind::subscription;
  const Subscription* sub = nullptr;
  const Charge* charge = nullptr;        // charge fees and their true-up
  const ChargeFilter* filter = nullptr;  // null: default bucket (or not filtered)
  bool has_filters = false;
  bool grouped = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> grouped_by;
  const FixedCharge* fixed = nullptr;
  bool true_up = false;                  // per-charge minimum true-up (§7.2)

  int64_t amount_cents = 0;
  Decimal precise_amount_cents;
  Decimal units;
  Decimal total_aggregated_units;
  int64_t events_count = 0;
  int64_t unit_amount_cents = 0;
  Decimal precise_unit_amount;           // major units
  ojson amount_details = ojson::object();
  std::optional<ojson> pricing_unit_details;
  bool pay_in_advance = false;
  bool invoiceable = true;
  Instant from{}, to{};

  // explain (docs/explain.md): days over the period's days of a prorated fee (0: not prorated),
  // and the minimum a true-up or a commitment fee makes up to, in cents.
  int64_t explain_days = 0, explain_period_days = 0;
  // A prorated charge (§2.3/§2.4; 0 days: not prorated): its prorated units over the period's
  // days and, for a sum, its values as (value, value × days billed), the carried total first.
  int64_t explain_prorated_period_days = 0;
  Decimal explain_prorated_units;
  std::vector<std::pair<Decimal, Decimal>> explain_prorated;
  Decimal explain_minimum_cents;
  // A pay-in-advance estimate: the model's details and units with the event, and the amount
  // before it (the fee is the difference).
  std::optional<ojson> explain_details;
  std::optional<Decimal> explain_units;
  Decimal explain_before;

  // Filled by coupons and taxes.
  Decimal precise_coupons_amount_cents;
  TaxList taxes;
  FeeTaxes fee_taxes;

  Decimal base_cents() const { return Decimal(amount_cents) - precise_coupons_amount_cents; }
  std::string metric_code() const;  // empty for non-charge fees
};

enum class PreviewMode { proposal, projection, termination, plan_change };

// What one subscription contributes to the invoice.
struct BilledSubscription {
  const Subscription* sub = nullptr;  // stored, or synthetic (owned by the context)
  SubscriptionDates dates;
  Instant billing_at{};  // B
  Windows windows;

  enum class FeeRule { none, standard, terminated_arrears, after_upgrade };
  FeeRule fee_rule = FeeRule::standard;
  bool no_predecessor = false;        // proposal: §5 rule 3 applies to advance anniversary plans
  Instant trial_started_at{};         // earliest started_at of the external id (§4.3)

  enum class Charges { none, projection, terminated, upgraded };
  Charges charges = Charges::none;
  const Plan* next_plan = nullptr;    // upgrade: the new plan (recurring-charge exclusion)

  bool advance_fixed = false, arrears_fixed = false;
  bool fixed_in_billing_period = false;  // fixed window = the period containing B (new subs)
  bool new_subscription = false;         // not yet existing: unrounded fixed proration (§6)
  bool commitment = false;
  enum class Credit { none, termination, upgrade };
  Credit credit = Credit::none;           // §10.1 unused advance fee
};

struct PreviewContext {
  PreviewMode mode = PreviewMode::projection;
  std::vector<std::unique_ptr<Subscription>> owned;  // synthetic subscriptions
  std::vector<BilledSubscription> billed;
  bool existing_customer = false;
  TimeZone tz = TimeZone::utc();
  Currency currency;
  int grace_period = 0;
  int net_payment_term = 0;
  date::local_days issuing_date;
  // Customer block of the output.
  ojson customer = ojson::object();
};

// §13: reads request, validates, decides modes and windows. Throws Failure (404 / 422).
PreviewContext build_preview_context(const Snapshot& s);

// Fee builders (append in Lago's fee order).
void add_subscription_fee(const Snapshot& s, const BilledSubscription& b, std::vector<InvoiceFee>& out);
// `projected` (compare_plans): also appends to projected->out the same fees with their usage
// projected to the period end as projected_usage does (§14.2; recurring metrics unscaled), from
// the one aggregation. `cache`: aggregations shared with other invoices priced from the same
// snapshot (metering/shared_aggregation.hpp; compare_plans).
struct ChargeProjection {
  Ratio ratio;
  std::vector<InvoiceFee>* out = nullptr;
};
class AggregationCache;
void add_charge_fees(const Snapshot& s, const BilledSubscription& b, std::vector<InvoiceFee>& out,
                     const ChargeProjection* projected = nullptr, AggregationCache* cache = nullptr);
void add_fixed_charge_fees(const Snapshot& s, const BilledSubscription& b, std::vector<InvoiceFee>& out);
void add_commitment_fee(const Snapshot& s, const BilledSubscription& b, std::vector<InvoiceFee>& out);

// §9: coupons before tax. Sets each fee's precise_coupons_amount_cents; returns credit lines.
struct CouponCredit {
  std::string code, name;
  int64_t amount_cents = 0;
  const AppliedCoupon* applied = nullptr;  // null for a request coupon
};
// `credited`: progressive billing credits already taken off the sub-total (§11).
std::vector<CouponCredit> apply_coupons(const Snapshot& s, const PreviewContext& ctx,
                                        std::vector<InvoiceFee>& fees, int64_t credited = 0);

// §10.1 termination credit, before any available credit note; 0 when none. `base` is the
// credit note item (unused part of the advance fee, cents, truncated to 5 places), `total_cents`
// that plus its taxes, rounded: the credit note's amount.
struct TerminationCredit {
  Decimal base;
  Decimal coupons;  // the last fee's coupons' share of `base` (history only)
  int64_t total_cents = 0;
  Decimal taxes_rate;  // Σ rates of the taxes credited back (the original fee's), percent
};
TerminationCredit termination_credit(const Snapshot& s, const BilledSubscription& b);
int64_t termination_credit_cents(const Snapshot& s, const BilledSubscription& b);

struct CreditNoteCredit {
  std::string code;
  int64_t amount_cents = 0;
  const CreditNote* note = nullptr;  // null for the termination credit
};
// Credit notes taken one after another from the running total (Decisions, fix 1).
std::vector<CreditNoteCredit> apply_credit_notes(const Snapshot& s, const PreviewContext& ctx,
                                                 int64_t termination_credit, int64_t& total);
// §10.2 wallets; returns the prepaid credit amount (≤ total); `debits` (if given) receives
// what each wallet paid, in the order they paid.
struct WalletDebit;
int64_t apply_wallets(const Snapshot& s, const PreviewContext& ctx, const std::vector<InvoiceFee>& fees,
                      int64_t total, std::vector<WalletDebit>* debits = nullptr);

ojson rate_json(const Decimal& rate);  // a JSON number, as Lago's API types rates
// explain: adds the fee's `explanation` (invoice/explain.hpp).
ojson fee_json(const InvoiceFee& f, const Currency& cur, const Customer* customer, bool explain = false);
ojson subscription_json(const BilledSubscription& b, const Customer* customer, Instant now);
ojson customer_json(const PreviewContext& ctx, const Customer* stored, Instant now);

}  // namespace tariff
