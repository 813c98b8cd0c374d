// Issued invoices as progressive billing reads them (SEMANTICS §11, docs/progressive_billing.md):
// snapshot.invoices[] with their type, totals, charge fees, billing windows and the progressive
// credits they took. history.hpp reads the same list for other rules (its fees only); this reads
// what Lago's LifetimeUsages::CalculateService, Subscriptions::ProgressiveBilledAmount and
// Credits::ProgressiveBillingService read:
//   - invoiced usage: Σ charge fees' amount_cents of `subscription` invoices (finalized, draft);
//   - the latest progressive invoice of a period (its fees, coupons, what later invoices took);
//   - each progressive fee's charge, filter and group, to credit the matching fees.
// Also usage thresholds (plans, subscriptions), parsed and checked as Lago's
// UsageThresholds::UpdateService checks them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/time.hpp"

namespace tariff {

struct IssuedChargeFee {
  std::string external_subscription_id;
  std::string charge_key;  // lago_charge_id, else the metric's code
  std::string filter_key;  // item.filters as JSON text ("null" without a filter)
  std::string group_key;   // item.grouped_by as JSON text
  int64_t amount_cents = 0;
};

// A credit an invoice took from a progressive invoice (credits[] with item.type "invoice").
struct IssuedProgressiveCredit {
  std::string progressive_invoice_id;  // item.lago_item_id
  int64_t amount_cents = 0;
};

// applied_usage_thresholds[] of a progressive invoice: when a threshold was reached.
struct IssuedAppliedThreshold {
  std::string threshold_id;  // usage_threshold.lago_id
  int64_t amount_cents = 0;
  bool recurring = false;
  int64_t lifetime_usage_amount_cents = 0;
  std::string created_at;
};

struct IssuedInvoice {
  std::string lago_id, number, invoice_type = "subscription", status = "finalized";
  std::string issuing_date;  // YYYY-MM-DD
  int64_t sequential_id = 0;
  int64_t fees_amount_cents = 0, coupons_amount_cents = 0;
  // invoice_subscriptions[]: (external_subscription_id, plan_code)
  std::vector<std::pair<std::string, std::string>> subscriptions;
  std::optional<Instant> charges_from, charges_to;     // invoice_subscriptions[0] (progressive)
  std::vector<IssuedChargeFee> charge_fees;
  std::vector<IssuedProgressiveCredit> progressive_credits;
  std::vector<IssuedAppliedThreshold> applied_thresholds;
  size_t order = 0;  // input order: later is more recent

  bool counts() const { return status != "voided"; }
  bool progressive() const { return invoice_type == "progressive_billing"; }
};

struct Snapshot;
struct Subscription;
struct UsageThreshold;
class Reader;

// snapshot.invoices[] → s.issued_invoices (parse_snapshot).
void parse_issued_invoices(const nlohmann::json& doc, Snapshot& s, Reader& r);
// A plan's (or a subscription's) `usage_thresholds`, checked: amount_cents an integer > 0,
// at most one recurring, no two alike (usage_thresholds: missing_amount_cents,
// duplicated_values, multiple_recurring_thresholds; usage_thresholds[i].amount_cents:
// value_is_invalid).
std::vector<UsageThreshold> parse_usage_thresholds(const nlohmann::json& o, const std::string& path, Reader& r);
// A subscription's usage_thresholds, progressive_billing_disabled and
// lifetime_usage.external_historical_usage_amount_cents.
void parse_subscription_progressive(Subscription& sub, const nlohmann::json& o, const std::string& path, Reader& r);

}  // namespace tariff
