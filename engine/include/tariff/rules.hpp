// The engine's rules for the surfaces that store state (the REST server): plan changes,
// period boundaries in the customer's zone, event timestamps, and validation at write time.
//
// A surface that keeps Lago's objects must answer the same questions the engine answers when
// it later calculates — is this plan change an upgrade, when does a downgrade take effect,
// would this object be refused — and must not keep its own copy of those rules. Each function
// here reads the objects exactly as a calculation would (the snapshot parser of CONTRACT §1,
// with its resolution of plans, overrides, currencies and time zones) and applies the one
// rule the calculations use. Pure, like the rest of the engine: `now` is passed in.
//
// Currencies (find_currency, tariff/currency.hpp), instants (parse_instant, tariff/time.hpp),
// exact JSON (tariff/json.hpp) and the ids the engine derives (an add-on's, an applied tax's:
// tariff/ids.hpp) are public already and are used as they are.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"
#include "tariff/error.hpp"
#include "tariff/time.hpp"

namespace tariff::rules {

// A value, or the error document the engine answers instead.
template <class T>
struct Checked {
  std::optional<T> value;
  Error error;
  bool ok() const { return value.has_value(); }
};

// An event's timestamp as the engine reads it: Unix seconds (integer, or decimal text as the
// exact JSON reader leaves a fractional number) or ISO 8601, within 1970..9999 (UTC).
std::optional<Instant> event_timestamp(const nlohmann::json& value);

// ---- plan change (SEMANTICS §13) -----------------------------------------------------------
enum class PlanChangeKind { upgrade, downgrade };

struct PlanChange {
  PlanChangeKind kind = PlanChangeKind::upgrade;
  // Upgrade: now (the old subscription ends, the new one starts). Downgrade: local midnight
  // of the day after the current billing period, in the customer's zone (else the
  // organization's), when the old plan ends and the new one starts.
  Instant effective_at{};
  date::local_days effective_day{};  // the local date of effective_at (downgrade_plan_date)
};

// Moving subscription `external_id` (its live row) of `snapshot_json` to plan `plan_code` at
// the snapshot's `now`: yearly(new) ≥ yearly(old) is an upgrade, as in the preview.
// Errors as the preview's: 404 subscription_not_found / plan_not_found, 422
// currencies_does_not_match, new_plan_should_be_different_from_existing_plan, or the
// snapshot's own validation errors.
Checked<PlanChange> plan_change(std::string_view snapshot_json, std::string_view external_id,
                                std::string_view plan_code);

// Local midnight of `day` in the zone the snapshot's calculations use (customer, else
// organization, else UTC).
Checked<Instant> start_of_local_day(std::string_view snapshot_json, date::local_days day);

// ---- validation at write time --------------------------------------------------------------
enum class Resource {
  billable_metric,  // context: —
  tax,              // context: —
  plan,             // context: billable_metrics, taxes
  coupon,           // context: billable_metrics, plans
  organization,     // context: taxes
  customer,         // context: taxes, organization
  subscription,     // context: organization, customer, billable_metrics, taxes, plans
  wallet,           // context: customer
  event,            // context: billable_metrics
};

// Error details of one object, paths relative to it ("properties.amount" → codes).
using Details = std::map<std::string, std::vector<std::string>>;

// Validates each object of the array `objects` as it will be read inside a snapshot — the
// snapshot parser itself, with the objects `context` names (snapshot sections, as stored) —
// plus the model validations Lago runs at write time that no calculation needs (a metric's
// name, string lengths, positive coupon amounts; see validate.cpp). Returns one Details per
// object, in order; all empty when every object may be stored. Never throws on bad input.
std::vector<Details> validate(Resource kind, const nlohmann::json& objects,
                              const nlohmann::json& context, Instant now);

// ---- events that cannot be priced (Lago's Events::PostValidationService) -------------------
// Transaction ids of stored events (Lago's Event objects: transaction_id, code, properties)
// that the billable metrics (as stored: code, aggregation_type, field_name, expression,
// filters) cannot price, each list in event order without repeats (event_errors.cpp).
struct EventErrors {
  std::vector<std::string> invalid_code;                  // no metric has the event's code
  std::vector<std::string> missing_aggregation_property;  // the metric's field absent, or not a number it needs
  std::vector<std::string> invalid_filter_values;         // a filter key with a value the filter does not list
  bool empty() const {
    return invalid_code.empty() && missing_aggregation_property.empty() && invalid_filter_values.empty();
  }
};
EventErrors event_errors(const nlohmann::json& events, const nlohmann::json& billable_metrics);

// ---- amounts the server keeps (wallets, past usage) -------------------------------------------
// A wallet's credits in money: amount = credits × rate_amount (exact), balance_cents = amount
// rounded to the currency's exponent, in its subunits (10.5 credits at 2.0 USD = 2100 cents).
// 422 `currency` value_is_invalid for an unknown currency, `base` value_out_of_range when the
// amount does not fit (exact decimals, int64 cents).
struct WalletAmount {
  Decimal amount;
  int64_t amount_cents = 0;
};
Checked<WalletAmount> wallet_amount(const Decimal& credits, const Decimal& rate_amount, std::string_view currency);

// A voided invoice's wallet debit given back (Lago's WalletTransactions::RecreditService: a
// granted transaction through WalletCredit, the balance raised by Wallets::Balance::
// IncreaseService with reset_consumed_credits). The debited credits, floored to 5 decimals,
// are worth amount = credits × rate_amount rounded to the currency's exponent; the credits
// granted are that amount over the rate, at the 5 decimals the wallet keeps (only whole cents
// are given back). A debit worth no cent gives nothing back (recredited false), as Lago
// leaves such an invoice's old transactions alone. The wallet after: credits_balance +
// credit_amount, balance_cents + amount_cents, consumed_credits − credit_amount (never below 0).
// 10 USD debited from a wallet at 3.0 USD a credit (3.33333 credits): 3.33333 × 3 = 9.99999 →
// 10.00 USD = 1000 cents, 10 / 3 = 3.33333 credits back.
// Several debits of one wallet are given back one after the other, each from the state the
// previous one left. 422 `rate_amount` value_is_invalid for a rate ≤ 0, `currency`
// value_is_invalid for an unknown currency, `base` value_out_of_range beyond int64 cents.
struct WalletState {
  Decimal rate_amount;
  std::string currency;
  Decimal credits_balance;
  int64_t balance_cents = 0;
  Decimal consumed_credits;
};
struct VoidRecredit {
  bool recredited = false;
  Decimal credit_amount;  // the granted transaction's credit_amount
  Decimal amount;         // its amount (currency units, rounded to the exponent)
  int64_t amount_cents = 0;
  WalletState wallet;     // the wallet after (unchanged when nothing is given back)
};
Checked<VoidRecredit> void_recredit(const Decimal& debited_credits, const WalletState& wallet);

// A settled wallet transaction of billing as `bill` reports it (changes.wallet_transactions)
// and the server stores it (Lago's WalletTransaction, every field its API prints): an outbound
// invoiced one for a wallet debit, an inbound granted one for a voided invoice's recredit
// (WalletTransactions::RecreditService). source manual, priority 50, no metadata; settled and
// created at `at`. Ids are the caller's (null where not known yet).
struct WalletTransactionRecord {
  nlohmann::ordered_json lago_id, lago_wallet_id, lago_invoice_id, lago_voided_invoice_id;  // null by default
  bool inbound = false;   // inbound granted, else outbound invoiced
  Decimal amount;         // currency units
  int64_t amount_cents = 0;
  Decimal credit_amount;  // credits
  std::string currency;
  std::string at;         // ISO 8601
};
nlohmann::ordered_json wallet_transaction_json(const WalletTransactionRecord& t);

// A draft invoice's draft credit note when the draft is refreshed or finalized (Lago's
// CreditNotes::RefreshDraftService, ApplyTaxesService, AdjustAmountsWithRoundingService): each
// item keeps its share of the credited fee, item × new fee amount / old fee amount (5 decimals;
// 0 when the old fee was 0); the coupons' share of the new fee, Σ precise_coupons × item / fee
// amount; taxes (base = items − coupons) × the fee's tax rate / 100, rounded; credit = total =
// balance = round(items − coupons + taxes). A draft's note refunds nothing (a draft is not paid),
// so Lago's rounding adjustment (total − taxes vs round(items − coupons)) never moves a cent:
// the taxes are whole cents. One rate for the fee (its taxes_rate, the sum of its taxes): the
// taxes rounded once, where Lago rounds each tax (docs/decisions.md).
// 3100 fee re-taxed at 20 %: a 2900 item stays 2900, taxes 580, credit 3480.
struct DraftNoteItem {
  Decimal precise_amount_cents;
  int64_t old_fee_amount_cents = 0;
};
struct RefreshedFee {
  int64_t amount_cents = 0;
  Decimal precise_coupons_amount_cents;
  Decimal taxes_rate;  // percent, as the fee's taxes_rate
};
struct RepricedNote {
  std::vector<Decimal> items_precise_amount_cents;
  std::vector<int64_t> items_amount_cents;
  Decimal precise_coupons_adjustment_amount_cents, precise_taxes_amount_cents, taxes_rate;
  int64_t coupons_adjustment_amount_cents = 0, taxes_amount_cents = 0, sub_total_excluding_taxes_amount_cents = 0;
  int64_t credit_amount_cents = 0, balance_amount_cents = 0, total_amount_cents = 0;
};
// 422 `base` value_out_of_range beyond the exact range.
Checked<RepricedNote> reprice_draft_note(const std::vector<DraftNoteItem>& items, const RefreshedFee& fee);

// Lago's past usage of one billed period (CustomerChargeUsageObject): the charge fees given
// (already filtered to one subscription's period), grouped by `lago_charge_id` in first-seen
// order, summed; and the period's totals (amount, taxes, total = amount + taxes).
struct ChargeUsageSum {
  nlohmann::json lago_charge_id;
  size_t first_fee = 0;  // index of the group's first fee in the input
  Decimal units, total_aggregated_units;
  int64_t events_count = 0, amount_cents = 0;
};
struct PastUsageSums {
  std::vector<ChargeUsageSum> charges;
  int64_t amount_cents = 0, taxes_amount_cents = 0, total_amount_cents = 0;
};
// 422 `fees` value_is_invalid when a sum overflows or a value is not a number.
Checked<PastUsageSums> past_usage_sums(const nlohmann::json& fees);

// Lago's length limits (its model validations), in characters.
constexpr size_t kCustomerNameMax = 255;
constexpr size_t kMetadataKeyMax = 20;
constexpr size_t kMetadataValueMax = 100;
constexpr size_t kInvoiceFooterMax = 600;

}  // namespace tariff::rules
