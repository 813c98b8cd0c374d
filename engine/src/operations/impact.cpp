// Price-change impact (tariff/impact.hpp): one snapshot, read once with the exact reader,
// previewed with its plans and with the proposed ones; the report sums the customers.
//   old 2280, new 2520 → delta +240, "increased"
#include "tariff/impact.hpp"

#include <algorithm>
#include <new>
#include <vector>

#include "core/guard.hpp"
#include "core/json_exact.hpp"
#include "invoice/pipeline.hpp"
#include "snapshot/reader_events.hpp"
#include "tariff/decimal.hpp"

namespace tariff {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

struct Priced {
  std::optional<std::string> external_customer_id;
  std::string currency;
  int64_t total = 0;
};

// ops::preview's work without its result document: the preview context and the computed
// invoice give the total, the currency and the customer's id directly.
Priced price(const Snapshot& s) {
  const PreviewContext ctx = build_preview_context(s);
  const ComputedInvoice inv = compute_invoice(s, ctx);
  Priced p;
  p.total = inv.total;
  p.currency = std::string(ctx.currency.code);
  if (const auto it = ctx.customer.find("external_id"); it != ctx.customer.end() && it->is_string())
    p.external_customer_id = it->get<std::string>();
  return p;
}

// The proposed plans into the document: each replaces the plans of its code, or is added.
// Returns the positions changed in doc["plans"] (none when that is not an array: the first
// pricing has refused such a snapshot already).
std::vector<size_t> replace_plans(json& doc, const PlanChange& change) {
  std::vector<size_t> changed;
  auto it = doc.find("plans");
  if (it == doc.end() || it->is_null()) {
    doc["plans"] = json::array();
    it = doc.find("plans");
  }
  if (!it->is_array()) return changed;
  for (const auto& plan : change.plans) {
    const auto& code = plan.at("code");
    bool replaced = false;
    for (size_t i = 0; i < it->size(); ++i) {
      json& p = (*it)[i];
      if (p.is_object() && p.contains("code") && p["code"] == code) {
        p = plan;
        replaced = true;
        if (std::find(changed.begin(), changed.end(), i) == changed.end()) changed.push_back(i);
      }
    }
    if (!replaced) {
      it->push_back(plan);
      changed.push_back(it->size() - 1);
    }
  }
  return changed;
}

}  // namespace

PlanChangeParse parse_plan_change(std::string_view json_text) {
  PlanChangeParse out;
  json doc = parse_json_exact(json_text);
  if (doc.is_discarded()) {
    out.error = Error::bad_request("malformed_json");
    return out;
  }
  ErrorCollector errors;
  if (!doc.is_object() || !doc.contains("plans") || !doc["plans"].is_array() ||
      doc["plans"].empty()) {
    out.error = Error::validation("plans", doc.is_object() && !doc.contains("plans")
                                               ? "value_is_mandatory"
                                               : "invalid_type");
    return out;
  }
  size_t i = 0;
  for (const auto& plan : doc["plans"]) {
    const std::string at = "plans[" + std::to_string(i++) + "]";
    if (!plan.is_object()) errors.add(at, "invalid_type");
    else if (!plan.contains("code") || !plan["code"].is_string() ||
             plan["code"].get<std::string>().empty())
      errors.add(at + ".code", "value_is_mandatory");
  }
  try {
    errors.throw_if_any();
  } catch (const Failure& f) {
    out.error = f.error;
    return out;
  }
  out.change = PlanChange{std::move(doc["plans"])};
  return out;
}

ImpactOutcome price_change(std::string_view snapshot_json, const PlanChange& change) {
  ImpactOutcome out;
  try {
    // The events read straight into typed events, as every operation reads them (core/engine.cpp).
    ScannedEvents events;
    json doc;
    if (auto e = read_snapshot_document(snapshot_json, doc, &events)) {
      out.error = *e;
      return out;
    }
    // One snapshot, priced as it is, then with the proposed plans read into it in place of
    // its own (the rest of it is not read twice).
    Snapshot s = parse_snapshot(doc, RequestKind::preview);
    const Priced before = price(s);
    reparse_plans(s, doc, replace_plans(doc, change));
    const Priced after = price(s);
    if (!before.currency.empty() && !after.currency.empty() && before.currency != after.currency)
      throw Failure(Error::validation("plans.amount_currency", "currencies_does_not_match"));
    CustomerImpact row;
    row.external_customer_id = before.external_customer_id;
    row.currency = before.currency.empty() ? after.currency : before.currency;
    row.old_total_amount_cents = before.total;
    row.new_total_amount_cents = after.total;
    out.impact = row;
  } catch (...) {
    out.error = current_exception_error();
  }
  return out;
}

ordered_json impact_row_json(const CustomerImpact& row) {
  ordered_json r;
  r["external_customer_id"] =
      row.external_customer_id ? ordered_json(*row.external_customer_id) : ordered_json(nullptr);
  r["old_total_amount_cents"] = row.old_total_amount_cents;
  r["new_total_amount_cents"] = row.new_total_amount_cents;
  r["delta_amount_cents"] = row.delta_amount_cents();
  return r;
}

ordered_json impact_summary_json(const std::vector<CustomerImpact>& rows) {
  int64_t increased = 0, decreased = 0, unchanged = 0, old_total = 0, new_total = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const CustomerImpact& r = rows[i];
    if (r.currency != rows[0].currency)
      throw Failure(Error::validation("customers[" + std::to_string(i) + "].currency",
                                      "currencies_does_not_match"));
    const int64_t d = r.delta_amount_cents();
    (d > 0 ? increased : d < 0 ? decreased : unchanged) += 1;
    old_total = add_cents(old_total, r.old_total_amount_cents);
    new_total = add_cents(new_total, r.new_total_amount_cents);
  }
  ordered_json s;
  s["customers"] = static_cast<int64_t>(rows.size());
  s["increased"] = increased;
  s["decreased"] = decreased;
  s["unchanged"] = unchanged;
  s["old_total_amount_cents"] = old_total;
  s["new_total_amount_cents"] = new_total;
  s["delta_amount_cents"] = new_total - old_total;
  return s;
}

Result impact_report(const std::vector<CustomerImpact>& rows) {
  try {
    ordered_json doc;
    doc["customers"] = ordered_json::array();
    ordered_json summary = impact_summary_json(rows);
    for (const auto& r : rows) doc["customers"].push_back(impact_row_json(r));
    doc["summary"] = std::move(summary);
    return Result{200, doc.dump()};
  } catch (const Failure& f) {
    return Result{f.error.status, f.error.to_json()};
  }
}

}  // namespace tariff
