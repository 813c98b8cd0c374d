// POST /api/v1/plans/{code}/impact — what a proposed version of a plan does to every stored
// customer on it, before it ships. Nothing is stored.
//
//   body  {"plan": {...}}  Lago's plan input, merged over the stored plan {code} as a PUT
//                          would (unknown plan: 404; a plan the engine refuses: its 422)
//   query page, per_page   Lago's pagination of the customer rows
//   200   {"customers": [{external_customer_id, old_total_amount_cents,
//                         new_total_amount_cents, delta_amount_cents}],
//          "summary": {customers, increased, decreased, unchanged, old_total_amount_cents,
//                      new_total_amount_cents, delta_amount_cents},
//          "meta": {current_page, next_page, prev_page, total_pages, total_count}}
//
// The customers are those with an active subscription on {code}, in creation order. Each is
// priced as `tariff impact` prices a snapshot (tariff/impact.hpp): the preview of its
// subscriptions on the plan (the invoice of the current period, the next one Lago would
// issue), with the stored plan and with the proposed one. The summary covers every customer,
// the rows one page. One currency per answer, else 422; a customer the engine cannot price
// makes a 422 naming it (customers.<external_id>.<path>).
#include <optional>

#include "resources.hpp"
#include "snapshots.hpp"
#include "tariff/impact.hpp"

namespace tariff::server {
namespace {

struct Priced {
  std::string customer;
  std::string snapshot;  // JSON text, request included
};

HttpError engine_error(const std::string& customer, const Error& e) {
  ordered_json details = ordered_json::object();
  const std::string at = "customers." + customer;
  if (e.details.empty()) details[at] = ordered_json::array({e.code});
  for (const auto& [path, codes] : e.details) details[at + "." + path] = codes;
  HttpError err = validation_details(details);
  if (e.status != 422 && e.status != 500) {
    err.status = e.status;
    err.doc["status"] = e.status;
    err.doc["error"] = e.error;
    err.doc["code"] = e.code;
  }
  return err;
}

Reply impact(Context& ctx) {
  const std::string code = ctx.params[0];
  const json proposed_in = ctx.body_object("plan");
  const Pagination page = parse_pagination(ctx.query());

  ordered_json proposed;
  std::vector<Priced> customers;
  // A read transaction (ingestion goes on meanwhile), unless a subscription transition is due
  // (settle_subscriptions writes it: std::logic_error in a read transaction): then a write one.
  const auto priced = [&](Transaction& tx) {
    customers.clear();
    auto stored = load_doc(tx, "plan", code);
    if (!stored) throw not_found("plan");
    proposed = *stored;
    merge_fields(proposed, proposed_in);
    proposed["code"] = code;  // the proposal replaces {code}, whatever the body names
    prepare_proposed_plan(proposed, tx, ctx);
    const ordered_json catalog = snapshot_catalog(tx);  // once for every customer

    for (const auto& c : tx.list(DocumentQuery{"customer", std::nullopt, std::nullopt, 0, -1}).items) {
      std::vector<std::string> subs;
      for (const auto& d : tx.list(DocumentQuery{"subscription", c.key, std::nullopt, 0, -1}).items) {
        const ordered_json s = parse_stored(d.body);
        if (string_or(s, "plan_code", "") == code && string_or(s, "status", "") == "active")
          subs.push_back(string_or(s, "external_id", ""));
      }
      if (subs.empty()) continue;
      std::string aggregates;  // usage as aggregates where both plans allow them
      SnapshotScope scope{c.key, subs, true, std::nullopt, &aggregates};
      scope.proposed_plan = &proposed;
      scope.catalog = &catalog;
      ordered_json snap = build_snapshot(ctx, tx, scope);
      // settle_subscriptions may have ended a subscription at `now`: keep the live ones.
      std::vector<std::string> live;
      for (const auto& s : snap["subscriptions"])
        if (string_or(s, "plan_code", "") == code && string_or(s, "status", "") == "active")
          live.push_back(string_or(s, "external_id", ""));
      if (live.empty()) continue;
      snap["request"] = {{"customer", {{"external_id", c.key}}},
                         {"subscriptions", {{"external_ids", live}}}};
      customers.push_back(Priced{c.key, snapshot_text(snap, aggregates)});
    }
  };
  try {
    ctx.store.transact(Store::Mode::read, priced);
  } catch (const std::logic_error&) {
    ctx.store.transact(Store::Mode::write, priced);
  }

  PlanChange change;
  change.plans = json::array({parse_json_exact(proposed.dump())});
  std::vector<CustomerImpact> rows;
  rows.reserve(customers.size());
  for (const auto& c : customers) {
    const ImpactOutcome out = price_change(c.snapshot, change);
    if (out.error) throw engine_error(c.customer, *out.error);
    rows.push_back(*out.impact);
  }

  for (const auto& r : rows)
    if (r.currency != rows[0].currency)
      throw validation("customers." + r.external_customer_id.value_or("") + ".currency",
                       "currencies_does_not_match");
  ordered_json doc;
  doc["customers"] = ordered_json::array();
  doc["summary"] = impact_summary_json(rows);
  const int64_t total = static_cast<int64_t>(rows.size());
  for (int64_t i = page.offset(); i < total && i < page.offset() + page.per_page; ++i)
    doc["customers"].push_back(impact_row_json(rows[static_cast<size_t>(i)]));
  doc["meta"] = page.meta(total);
  return json_reply(doc);
}

}  // namespace

void add_impact_routes(App& app) { app.add("POST", "/api/v1/plans/([^/]+)/impact", impact); }

}  // namespace tariff::server
