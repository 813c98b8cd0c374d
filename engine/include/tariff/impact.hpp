// Price-change impact: what a new version of some plans does to each customer's invoice.
//
// One customer's snapshot is priced twice with its own `preview` request: once with its plans
// as they are, once with the plans of a PlanChange ({"plans": [Lago plans]}: each replaces
// the snapshot's plan of the same code; a code the snapshot lacks is added). A customer's
// total is the sum of total_amount_cents over the preview's invoices. A run's report lists
// the customers in input order and sums them; it holds one currency, else a 422.
//
// Everything here is pure, like run(): no I/O, no clock, no threads. The CLI
// (`tariff impact`) and the server (POST /api/v1/plans/{code}/impact) call it per customer,
// from as many threads as they like (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/engine.hpp"
#include "tariff/error.hpp"

namespace tariff {

// The proposed plans, read exactly (numbers with a fraction keep their text).
struct PlanChange {
  nlohmann::json plans = nlohmann::json::array();  // Lago plan objects, each with a `code`
};

// {"plans": [Lago plans]} → PlanChange; 400 on malformed JSON, 422 when `plans` is not an
// array of objects with a non-empty string `code` (paths "plans", "plans[1].code").
struct PlanChangeParse {
  std::optional<PlanChange> change;
  std::optional<Error> error;
};
PlanChangeParse parse_plan_change(std::string_view json_text);

struct CustomerImpact {
  std::optional<std::string> external_customer_id;  // nullopt: a new customer (preview proposal)
  std::string currency;                              // of the invoices, e.g. "EUR"
  int64_t old_total_amount_cents = 0;
  int64_t new_total_amount_cents = 0;
  int64_t delta_amount_cents() const { return new_total_amount_cents - old_total_amount_cents; }
};

struct ImpactOutcome {
  std::optional<CustomerImpact> impact;
  std::optional<Error> error;  // the engine's error document for either pricing
};

// Prices one snapshot (its `request` is a preview request) before and after the change.
ImpactOutcome price_change(std::string_view snapshot_json, const PlanChange& change);

// {"external_customer_id", "old_total_amount_cents", "new_total_amount_cents",
//  "delta_amount_cents"}
nlohmann::ordered_json impact_row_json(const CustomerImpact& row);

// {"customers", "increased", "decreased", "unchanged", "old_total_amount_cents",
//  "new_total_amount_cents", "delta_amount_cents"}.
// Throws Failure 422 {"customers[i].currency": ["currencies_does_not_match"]} when a row's
// currency differs from the first row's.
nlohmann::ordered_json impact_summary_json(const std::vector<CustomerImpact>& rows);

// The whole report {"customers": [rows], "summary": {...}} as JSON text, or the 422 above.
Result impact_report(const std::vector<CustomerImpact>& rows);

}  // namespace tariff
