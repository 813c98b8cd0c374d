// Typed inputs beyond the catalog: coupons, applied coupons, wallets, credit notes and the
// operation requests (CONTRACT §1–§2), read once by parse_snapshot() with Lago's model rules.
//
// Each is checked as Lago's model checks it when it is created (app/models/coupon.rb,
// applied_coupon.rb, wallet.rb, credit_note.rb; config/locales/en.yml maps Rails' validation
// keys to Lago's codes: greater_than → value_is_out_of_range, blank → value_is_mandatory,
// inclusion → value_is_invalid) and every problem is reported under its path
// (`coupons[2].amount_cents: ["value_is_out_of_range"]`). What Lago's models accept is
// accepted; a value Lago could not hold (a non-numeric amount) is refused rather than skipped.
// The calculation reads these values and never the raw document.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tariff/currency.hpp"
#include "tariff/decimal.hpp"
#include "tariff/time.hpp"

namespace tariff {

enum class CouponType { fixed_amount, percentage };
enum class CouponFrequency { once, recurring, forever };

// A coupon definition: an organization coupon, or an inline coupon of a preview request.
struct Coupon {
  std::string code, name;
  std::string lago_id;  // "" when not given
  CouponType type = CouponType::fixed_amount;  // Lago's column default
  std::optional<int64_t> amount_cents;         // fixed_amount
  std::optional<Currency> amount_currency;     // fixed_amount; an inline one may lack it
  std::optional<Decimal> percentage_rate;      // percentage, in percent
  CouponFrequency frequency = CouponFrequency::once;
  std::optional<int64_t> frequency_duration;   // recurring
  std::vector<std::string> plan_codes, billable_metric_codes;  // limitations
  bool terminated = false;
};

// A coupon applied to the snapshot's customer, with what is left of it.
struct AppliedCoupon {
  std::string coupon_code, coupon_name;
  std::string lago_coupon_id;  // the coupon's Lago id ("" when not given)
  const Coupon* definition = nullptr;  // the organization coupon of that code, if any
  CouponType type = CouponType::fixed_amount;
  std::optional<int64_t> amount_cents, amount_cents_remaining;
  std::optional<Currency> amount_currency;
  std::optional<Decimal> percentage_rate;
  CouponFrequency frequency = CouponFrequency::once;
  std::optional<int64_t> frequency_duration, frequency_duration_remaining;
  bool active = true;
  Instant created_at{};
  std::vector<std::string> plan_codes, billable_metric_codes;
};

struct Wallet {
  std::string code, name;
  bool active = true;
  Currency currency;
  int64_t balance_cents = 0;
  Decimal rate_amount;   // currency per credit, > 0
  int priority = 50;     // 1 (first) .. 50 (Wallet::LOWEST_PRIORITY)
  Instant created_at{};
  std::vector<std::string> fee_types, billable_metric_codes;  // applies_to
};

enum class CreditStatus { available, consumed, voided };

struct CreditNote {
  std::string number;  // number, else lago_id
  std::string lago_id;  // "" when not given
  CreditStatus status = CreditStatus::available;
  Currency currency;
  int64_t balance_amount_cents = 0;
  Instant created_at{};
};

// Issuing-date and grace settings (Lago's billing_configuration): customer over organization.
struct BillingSettings {
  std::optional<int> invoice_grace_period;
  std::optional<IssuingDateAnchor> anchor;
  std::optional<IssuingDateAdjustment> adjustment;
};

// ---- requests ------------------------------------------------------------------------------

enum class RequestKind { none, preview, usage, estimate_fees };

// A preview request coupon: the organization coupon of that code, else the inline one.
struct RequestCoupon {
  const Coupon* definition = nullptr;
  Coupon inline_coupon;
  const Coupon& coupon() const { return definition ? *definition : inline_coupon; }
};

// Lago's InvoicePreviewInput.
struct PreviewRequest {
  struct NewCustomer {
    std::optional<std::string> external_id, name, currency;
    std::optional<TimeZone> timezone;
    std::optional<int> invoice_grace_period, net_payment_term;
  } customer;
  std::optional<std::string> plan_code, external_id;
  std::optional<BillingTime> billing_time;
  std::optional<Instant> subscription_at;
  std::vector<std::string> external_ids;          // subscriptions.external_ids
  std::optional<std::string> target_plan_code;    // subscriptions.plan_code
  std::optional<Instant> terminated_at;           // subscriptions.terminated_at
  std::vector<RequestCoupon> coupons;
};

// current_usage / projected_usage.
struct UsageRequest {
  std::string external_subscription_id;
};

// Lago's EventEstimateFeesInput: the event, stamped `now` by the operation.
struct EstimateRequest {
  std::string code, transaction_id, external_subscription_id;
  bool has_properties = false;
  std::optional<Decimal> precise_total_amount_cents;
};

}  // namespace tariff

// ---- parsing (called by parse_snapshot) ----------------------------------------------------

#include <nlohmann/json.hpp>

namespace tariff {

struct Snapshot;
class Reader;

// Issuing-date and grace settings of a customer or organization object: the flat
// `invoice_grace_period` (CONTRACT), else Lago's `billing_configuration.invoice_grace_period`;
// `billing_configuration.subscription_invoice_issuing_date_anchor` / `..._adjustment`.
BillingSettings parse_billing_settings(const nlohmann::json& o, const std::string& path, Reader& r);

// The snapshot's events (snapshot/events.cpp); their properties are moved out of `doc`.
void parse_snapshot_events(nlohmann::json& doc, Snapshot& s, Reader& r);

// Coupons, applied coupons, wallets, credit notes, and the request of `kind`.
void parse_inputs(const nlohmann::json& doc, Snapshot& s, RequestKind kind, Reader& r);

}  // namespace tariff
