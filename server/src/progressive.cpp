// Progressive billing on the server (progressive.hpp): threshold checks as billing jobs, the
// subscription thresholds, the history the engine reads, and the lifetime usage endpoints.
#include "progressive.hpp"
#include "webhooks.hpp"

#include <cstdlib>
#include <set>

#include "resources.hpp"
#include "snapshots.hpp"
#include "tariff/engine.hpp"

namespace tariff::server {
namespace {

bool has_thresholds(const ordered_json& o) {
  auto t = o.find("usage_thresholds");
  return t != o.end() && t->is_array() && !t->empty();
}

// Lago's Subscription#has_progressive_billing?: its own thresholds, else its plan's.
bool progressive(Transaction& tx, const ordered_json& sub) {
  if (sub.value("progressive_billing_disabled", false) == true) return false;
  if (has_thresholds(sub)) return true;
  auto plan = load_doc(tx, "plan", string_or(sub, "plan_code", ""));
  return plan && has_thresholds(*plan);
}

// The subscription an external id names now: active, else pending, else the latest ended.
std::optional<ordered_json> live_subscription(Transaction& tx, const std::string& external_id, std::string& owner) {
  std::optional<ordered_json> best;
  int rank = 99;
  for (const auto& d : tx.list(DocumentQuery{"subscription", std::nullopt, external_id, 0, -1}).items) {
    ordered_json s = parse_stored(d.body);
    const std::string st = string_or(s, "status", "");
    const int r = st == "active" ? 0 : st == "pending" ? 1 : st == "terminated" ? 2 : 99;
    if (r < rank || (r == rank && r == 2)) {
      rank = r;
      best = std::move(s);
      owner = d.owner;
    }
  }
  if (rank == 99) return std::nullopt;
  return best;
}

std::string check_key(const std::string& sub_lago_id, int64_t n) {
  return sub_lago_id + "|progressive_check|" + std::to_string(n);
}

// The lifetime usage record's id, given once (kept on the subscription).
std::string lifetime_usage_id(Transaction& tx, ordered_json& sub, const std::string& owner, IdSource& ids) {
  ordered_json& lu = sub["lifetime_usage"];
  if (!lu.is_object()) lu = ordered_json::object();
  if (!lu.contains("lago_id") || !lu["lago_id"].is_string()) {
    lu["lago_id"] = ids.uuid();
    if (!lu.contains("external_historical_usage_amount_cents")) lu["external_historical_usage_amount_cents"] = 0;
    save_doc(tx, "subscription", string_or(sub, "lago_id", ""), sub, owner, string_or(sub, "external_id", ""));
  }
  return lu["lago_id"].get<std::string>();
}

Reply lifetime_usage_reply(Context& ctx, Transaction& tx, ordered_json& sub, const std::string& owner) {
  const std::string id = lifetime_usage_id(tx, sub, owner, ctx.ids);
  const std::string external_id = string_or(sub, "external_id", "");
  ordered_json snap = build_snapshot(ctx, tx, SnapshotScope{owner, {external_id}});
  snap["request"] = {{"external_subscription_id", external_id}};
  const Result r = run(Operation::lifetime_usage, snap.dump());
  if (!r.ok()) throw std::runtime_error("lifetime_usage " + std::to_string(r.status) + ": " + r.body);
  ordered_json out = parse_stored(r.body);
  out["lifetime_usage"]["lago_id"] = id;
  // The exact reader keeps a fraction as text; Lago's completion_ratio is a Float (display only).
  if (auto t = out["lifetime_usage"].find("usage_thresholds"); t != out["lifetime_usage"].end())
    for (auto& x : *t)
      if (x["completion_ratio"].is_string()) x["completion_ratio"] = std::strtod(x["completion_ratio"].get<std::string>().c_str(), nullptr);
  if (out["lifetime_usage"]["lago_subscription_id"].is_null()) out["lifetime_usage"]["lago_subscription_id"] = sub["lago_id"];
  return json_reply(out);
}

}  // namespace

void queue_progressive_check(Transaction& tx, const EventRecord& event, int64_t now_us) {
  for (const auto& d : tx.list(DocumentQuery{"subscription", std::nullopt, event.external_subscription_id, 0, -1}).items) {
    const ordered_json s = parse_stored(d.body);
    if (string_or(s, "status", "") != "active" || !progressive(tx, s)) continue;
    const std::string lago = string_or(s, "lago_id", "");
    auto check = load_doc(tx, "progressive_check", lago);
    ordered_json c;
    c["n"] = check ? (*check)["n"] : ordered_json(billing_jobs::next_sequence(tx, "progressive_check:" + lago));
    c["at"] = format_iso(now_us);  // the latest event: one check sees every event queued before it
    c["external_subscription_id"] = event.external_subscription_id;
    save_doc(tx, "progressive_check", lago, c, d.owner, event.external_subscription_id);
    return;
  }
}

void store_subscription_thresholds(ordered_json& sub, const json& in, const std::string& now, IdSource& ids) {
  if (in.contains("progressive_billing_disabled")) sub["progressive_billing_disabled"] = to_ordered(in["progressive_billing_disabled"]);
  if (!in.contains("usage_thresholds")) return;
  sub["usage_thresholds"] = to_ordered(in["usage_thresholds"]);
  if (!sub["usage_thresholds"].is_array()) return;  // the engine refuses it at the door
  for (auto& t : sub["usage_thresholds"]) {
    if (!t.is_object()) continue;
    if (!t.contains("lago_id") || !t["lago_id"].is_string()) t["lago_id"] = ids.uuid();
    if (!t.contains("created_at")) t["created_at"] = now;
  }
}

ordered_json applicable_usage_thresholds(Transaction& tx, const ordered_json& sub) {
  ordered_json out = ordered_json::array();
  if (sub.value("progressive_billing_disabled", false) == true) return out;
  std::optional<ordered_json> plan;
  const ordered_json* list = nullptr;
  if (has_thresholds(sub)) {
    list = &sub["usage_thresholds"];
  } else {
    plan = load_doc(tx, "plan", string_or(sub, "plan_code", ""));
    if (plan && has_thresholds(*plan)) list = &(*plan)["usage_thresholds"];
  }
  if (!list) return out;
  for (const auto& t : *list)
    if (t.is_object())
      out.push_back({{"threshold_display_name", t.value("threshold_display_name", ordered_json(nullptr))},
                     {"amount_cents", t.value("amount_cents", ordered_json(0))},
                     {"recurring", t.value("recurring", false)}});
  return out;
}

void add_progressive_history(const ordered_json& stored, ordered_json& entry) {
  for (const char* k : {"invoice_type", "number", "sequential_id", "fees_amount_cents", "coupons_amount_cents",
                        "applied_usage_thresholds"})
    if (stored.contains(k)) entry[k] = stored[k];
  ordered_json credits = ordered_json::array();  // only the progressive credits are read
  for (const auto& c : stored.value("credits", ordered_json::array()))
    if (c.is_object() && c.contains("item") && c["item"].is_object() && c["item"].value("type", "") == "invoice")
      credits.push_back(c);
  entry["credits"] = std::move(credits);
  const auto fees = stored.find("fees");
  if (fees == stored.end() || !fees->is_array() || !entry["fees"].is_array()) return;
  for (size_t i = 0; i < fees->size() && i < entry["fees"].size(); ++i)
    if ((*fees)[i].contains("lago_charge_id")) entry["fees"][i]["lago_charge_id"] = (*fees)[i]["lago_charge_id"];
}

namespace billing_jobs {

void offer_progressive_checks(Transaction& tx, const std::string& ext, int64_t now, const std::set<std::string>& skip,
                              const std::function<void(Job)>& offer) {
  for (const auto& d : tx.list(DocumentQuery{"progressive_check", ext, std::nullopt, 0, -1}).items) {
    const ordered_json c = parse_stored(d.body);
    if (skip.count(d.key)) continue;
    const auto at = instant_of(c, "at");
    if (!at || *at > now) continue;
    Job j;
    j.at = *at;
    j.kind = Kind::progressive;
    j.reason = "progressive_billing";
    j.sub_lago_id = d.key;
    j.external_id = string_or(c, "external_subscription_id", "");
    j.key = check_key(d.key, c.value("n", int64_t{0}));
    j.event = c;
    if (tx.get("job", j.key)) {  // ran already (a crash after its commit cannot happen: one tx)
      tx.remove("progressive_check", d.key);
      continue;
    }
    offer(std::move(j));
  }
}

void finish_progressive_check(const Context& ctx, Transaction& tx, const Job& job, const ordered_json& out,
                              const Applied& a) {
  tx.remove("progressive_check", job.sub_lago_id);
  const auto info = out.find("progressive_billing");
  if (info == out.end() || !a.issued) return;
  const std::string key = string_or(*info, "idempotency_key", "");
  if (key.empty()) return;
  // Lago's Idempotency.unique!: never two progressive invoices for one threshold crossing.
  if (tx.get("progressive_invoice", key)) throw std::runtime_error("progressive invoice already issued: " + key);
  save_doc(tx, "progressive_invoice", key, ordered_json{{"key", key}, {"job", job.key}}, "", job.sub_lago_id);
  // invoice.created went out with the invoice (apply); then one webhook per threshold passed.
  for (const auto& t : info->value("passed_thresholds", ordered_json::array()))
    if (t.is_object()) webhooks::usage_threshold_reached(ctx, tx, job.sub_lago_id, t);
}

}  // namespace billing_jobs

void add_progressive_routes(App& app) {
  app.add("GET", "/api/v1/subscriptions/([^/]+)/lifetime_usage", [](Context& ctx) {
    std::optional<Reply> reply;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      std::string owner;
      auto sub = live_subscription(tx, ctx.params[0], owner);
      if (!sub) throw not_found("lifetime_usage");
      reply = lifetime_usage_reply(ctx, tx, *sub, owner);
    });
    return *reply;
  });
  app.add("PUT", "/api/v1/subscriptions/([^/]+)/lifetime_usage", [](Context& ctx) {
    const json in = ctx.body_object("lifetime_usage");
    const auto v = in.find("external_historical_usage_amount_cents");
    if (v == in.end() || v->is_null()) throw validation("external_historical_usage_amount_cents", "value_is_mandatory");
    if (!v->is_number_integer()) throw validation("external_historical_usage_amount_cents", "value_is_invalid");
    if (v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() < 0)
      throw validation("external_historical_usage_amount_cents", "value_is_out_of_range");
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      throw validation("external_historical_usage_amount_cents", "value_is_out_of_range");
    std::optional<Reply> reply;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      std::string owner;
      auto sub = live_subscription(tx, ctx.params[0], owner);
      if (!sub) throw not_found("lifetime_usage");
      lifetime_usage_id(tx, *sub, owner, ctx.ids);
      (*sub)["lifetime_usage"]["external_historical_usage_amount_cents"] = v->get<int64_t>();
      save_doc(tx, "subscription", string_or(*sub, "lago_id", ""), *sub, owner, string_or(*sub, "external_id", ""));
      reply = lifetime_usage_reply(ctx, tx, *sub, owner);
    });
    return *reply;
  });
}

}  // namespace tariff::server
