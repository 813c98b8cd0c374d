// POST /api/v1/customers/{external_id}/compare_plans — the subscription's current period priced
// on each plan (the engine's compare_plans, docs/compare_plans.md). Nothing is stored.
//
//   body  {"external_subscription_id": "...", "plan_codes": [...] (optional), "explain": bool}
//   200   the engine's answer: {"plans": [{plan_code, total_amount_cents,
//                                          projected_total_amount_cents, invoice}, ...]}
//
// Each invoice's customer and subscription are answered as the preview endpoint answers them:
// the stored customer, and the stored subscription on the compared plan, in Lago's shapes;
// everything the engine computed is passed on as it is.
//
// The snapshot is the one current_usage prices, with the events of the subscription over the
// widest window any compared plan needs (a yearly plan reads a year of usage; a plan with a
// recurring or weighted-sum metric, every event).
#include <algorithm>

#include "resources.hpp"
#include "serializers.hpp"
#include "snapshots.hpp"
#include "tariff/engine.hpp"

namespace tariff::server {
namespace {

int64_t interval_days(const std::string& interval) {
  if (interval == "weekly") return 7;
  if (interval == "quarterly") return 92;
  if (interval == "semiannual") return 184;
  if (interval == "yearly") return 366;
  return 31;
}

// Lower bound of the events the compared plans need; nullopt = all of them.
std::optional<int64_t> events_from(const ordered_json& snap, const json& codes, int64_t now_us) {
  int64_t days = 0;
  for (const auto& plan : snap["plans"]) {
    const std::string code = string_or(plan, "code", "");
    if (codes.is_array() && std::find(codes.begin(), codes.end(), json(code)) == codes.end()) continue;
    for (const auto& charge : plan.value("charges", ordered_json::array()))
      for (const auto& m : snap["billable_metrics"]) {
        if (string_or(m, "code", "") != string_or(charge, "billable_metric_code", "")) continue;
        const auto rec = m.find("recurring");
        const bool maybe_recurring = rec != m.end() && !rec->is_null() && *rec != false && *rec != "false";
        if (maybe_recurring || string_or(m, "aggregation_type", "") == "weighted_sum_agg") return std::nullopt;
      }
    days = std::max(days, interval_days(string_or(plan, "interval", "monthly")));
  }
  return now_us - (days + 2) * 86400LL * 1000000LL;
}

Reply compare_plans(Context& ctx) {
  const json body = ctx.body();
  if (!body.is_object()) throw validation("base", "invalid_type");
  const std::string sub = required_string(body, "external_subscription_id");
  ordered_json snap;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    snap = build_snapshot(ctx, tx, SnapshotScope{ctx.params[0], {sub}});
    bool known = false;
    for (const auto& s : snap["subscriptions"]) known |= string_or(s, "external_id", "") == sub;
    if (!known) throw not_found("subscription");
    EventQuery q;
    q.external_subscription_ids = {sub};
    q.from_us = events_from(snap, body.contains("plan_codes") ? body["plan_codes"] : json(), ctx.now_us);
    snap["events"] = ordered_json::array();
    for (const auto& e : tx.events(q).items) snap["events"].push_back(parse_stored(e.body));
  });
  snap["request"] = to_ordered(body);
  const Result r = run(Operation::compare_plans, snap.dump());
  if (r.status != 200) return Reply{r.status, r.body};
  ordered_json doc = ordered_json::parse(r.body);
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    auto customer = load_doc(tx, "customer", ctx.params[0]);
    std::optional<ordered_json> stored;
    for (const auto& d : tx.list(DocumentQuery{"subscription", ctx.params[0], std::nullopt, 0, -1}).items) {
      ordered_json s = parse_stored(d.body);
      if (string_or(s, "external_id", "") == sub && string_or(s, "status", "") == "active") stored = s;
    }
    for (auto& p : doc["plans"]) {
      ordered_json& inv = p["invoice"];
      if (customer) inv["customer"] = serialize_customer(*customer, tx, false);
      if (!stored) continue;
      for (auto& s : inv["subscriptions"]) {
        ordered_json on_plan = *stored;
        on_plan["plan_code"] = p["plan_code"];
        s = serialize_subscription(on_plan, tx, ctx.now_us);
      }
    }
  });
  return json_reply(doc);
}

}  // namespace

void add_compare_routes(App& app) {
  app.add("POST", "/api/v1/customers/([^/]+)/compare_plans", compare_plans);
}

}  // namespace tariff::server
