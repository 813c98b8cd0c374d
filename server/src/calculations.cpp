// The calculations: build a CONTRACT snapshot from stored state and the request, run the
// engine, answer with its body and status. A calculation stores nothing it computed (a
// preview is a dry run); the only writes are due subscription transitions (see
// subscriptions.cpp), applied before the snapshot is taken.
//
// Snapshot = every catalog object (metrics, plans, taxes, coupons), the organization, the
// customer, its subscriptions, active applied coupons and wallets, the billing history (issued
// invoices and available credit notes, billing.cpp), `now` = the request time, and the events of the customer's
// subscriptions in the relevant window:
//   plan with a recurring or weighted-sum metric → every event of the external id (values
//     carry across periods);
//   otherwise → events since now − (interval length + 2 days), which covers the current
//     period in any time zone (monthly: 31 + 2 = 33 days back).
// For current/projected usage and previews (scope.aggregates) the usage comes as aggregates
// where the engine allows them (usage.cpp): a bounded read, whatever the number of events.
// Calculations read in a read transaction; only a due subscription transition makes them
// redo the read in a write transaction (read_then_write).
#include <algorithm>
#include <map>
#include <stdexcept>

#include "billing.hpp"
#include "resources.hpp"
#include "snapshots.hpp"
#include "usage.hpp"
#include "serializers.hpp"
#include "timing.hpp"
#include "tariff/engine.hpp"

namespace tariff::server {
namespace {

ordered_json all_of(Transaction& tx, const std::string& kind) {
  ordered_json out = ordered_json::array();
  for (const auto& d : tx.list(DocumentQuery{kind, std::nullopt, std::nullopt, 0, -1}).items)
    out.push_back(parse_stored(d.body));
  return out;
}

int64_t interval_days(const std::string& interval) {
  if (interval == "weekly") return 7;
  if (interval == "quarterly") return 92;
  if (interval == "semiannual") return 184;
  if (interval == "yearly") return 366;
  return 31;  // monthly
}

// Lower bound of the events a subscription's calculations need; nullopt = all of them.
std::optional<int64_t> events_from(const ordered_json& plan, const ordered_json& metrics,
                                   int64_t now_us) {
  for (const auto& charge : plan.value("charges", ordered_json::array())) {
    const std::string code = string_or(charge, "billable_metric_code", "");
    for (const auto& m : metrics) {
      if (string_or(m, "code", "") != code) continue;
      // Anything but an explicit false may be recurring as the engine reads it ("true" too):
      // fetching every event is then merely more than needed, never less.
      const auto rec = m.find("recurring");
      const bool maybe_recurring = rec != m.end() && !rec->is_null() && *rec != false && *rec != "false";
      if (maybe_recurring || string_or(m, "aggregation_type", "") == "weighted_sum_agg")
        return std::nullopt;
    }
  }
  const int64_t days = interval_days(string_or(plan, "interval", "monthly")) + 2;
  return now_us - days * 86400LL * 1000000LL;
}

// A calculation's reads never hold the writer: settle_subscriptions() writes only when a
// transition is due, which a read transaction refuses (std::logic_error); then redo it.
void read_then_write(Store& store, const std::function<void(Transaction&)>& fn) {
  try {
    store.transact(Store::Mode::read, fn);
    return;
  } catch (const std::logic_error&) {
  }
  store.transact(Store::Mode::write, fn);
}

}  // namespace

ordered_json snapshot_catalog(Transaction& tx) {
  ordered_json c;
  c["organization"] = snapshot_organization(tx);
  c["taxes"] = all_of(tx, "tax");
  c["billable_metrics"] = all_of(tx, "billable_metric");
  c["plans"] = all_of(tx, "plan");
  c["coupons"] = all_of(tx, "coupon");
  return c;
}

// The documents build_snapshot reads, announced at once (PostgreSQL: one round trip).
void prefetch_snapshot(Transaction& tx, const SnapshotScope& scope) {
  Prefetch p;
  p.gets.emplace_back("organization", "default");
  if (!scope.catalog)
    for (const char* k : {"tax", "billable_metric", "plan", "coupon"})
      p.lists.push_back(DocumentQuery{k, std::nullopt, std::nullopt, 0, -1});
  if (scope.customer) {
    p.gets.emplace_back("customer", *scope.customer);
    for (const char* k : {"subscription", "applied_coupon", "wallet", "invoice", "credit_note"})
      p.lists.push_back(DocumentQuery{k, *scope.customer, std::nullopt, 0, -1});
  }
  if (scope.aggregates)
    for (const auto& id : scope.subscription_ids) p.gets.emplace_back("usage_zone", id);
  tx.prefetch(p);
}

ordered_json build_snapshot(Context& ctx, Transaction& tx, const SnapshotScope& scope) {
  prefetch_snapshot(tx, scope);
  ordered_json snap;
  snap["now"] = ctx.now;
  {
    ordered_json own;
    const ordered_json& catalog = scope.catalog ? *scope.catalog : (own = snapshot_catalog(tx));
    for (const char* k : {"organization", "taxes", "billable_metrics", "plans", "coupons"}) snap[k] = catalog.at(k);
  }
  snap["customer"] = nullptr;
  snap["subscriptions"] = ordered_json::array();
  snap["applied_coupons"] = ordered_json::array();
  snap["wallets"] = ordered_json::array();
  snap["credit_notes"] = ordered_json::array();
  snap["events"] = ordered_json::array();
  if (!scope.customer) return snap;

  const std::string& ext = *scope.customer;
  settle_subscriptions(tx, ext, ctx.now_us, ctx.now);
  auto customer = load_doc(tx, "customer", ext);
  if (!customer) throw not_found("customer");
  snap["customer"] = *customer;
  for (const auto& d : tx.list(DocumentQuery{"subscription", ext, std::nullopt, 0, -1}).items)
    snap["subscriptions"].push_back(parse_stored(d.body));
  // A deleted plan stays readable for the subscriptions that were on it (dependents.cpp).
  for (const auto& s : snap["subscriptions"]) {
    const std::string code = string_or(s, "plan_code", "");
    bool known = false;
    for (const auto& p : snap["plans"]) known |= string_or(p, "code", "") == code;
    if (!known)
      if (auto plan = discarded_plan(tx, code)) snap["plans"].push_back(*plan);
  }
  for (const auto& d : tx.list(DocumentQuery{"applied_coupon", ext, std::nullopt, 0, -1}).items) {
    ordered_json a = parse_stored(d.body);
    if (string_or(a, "status", "") == "active") snap["applied_coupons"].push_back(a);
  }
  for (const auto& d : tx.list(DocumentQuery{"wallet", ext, std::nullopt, 0, -1}).items) {
    ordered_json w = parse_stored(d.body);
    if (string_or(w, "status", "") == "active") snap["wallets"].push_back(w);
  }
  add_billing_history(tx, ext, snap);  // billing.cpp: issued invoices, available credit notes
  timing::mark("docs");

  // Events per external subscription id, each with its own window.
  std::map<std::string, std::optional<int64_t>> windows;
  for (const auto& s : snap["subscriptions"]) {
    const std::string id = string_or(s, "external_id", "");
    const std::string st = string_or(s, "status", "");
    if (!scope.subscription_ids.empty() &&
        std::find(scope.subscription_ids.begin(), scope.subscription_ids.end(), id) ==
            scope.subscription_ids.end())
      continue;
    auto plan = load_doc(tx, "plan", string_or(s, "plan_code", ""));
    std::optional<int64_t> from =
        plan ? events_from(*plan, snap["billable_metrics"], ctx.now_us) : std::nullopt;
    auto [it, fresh] = windows.try_emplace(id, from);
    if (!fresh && it->second && (!from || *from < *it->second)) it->second = from;
    (void)st;
  }
  std::optional<usage::Plan> plan;
  if (scope.aggregates && !windows.empty()) {
    // What usage::plan reads (not the billing history, wallets or applied coupons).
    // The text planned.dump() would give, written from the snapshot's members (no copy of them).
    static const char* kPlanned[] = {"now", "organization", "taxes", "billable_metrics", "plans", "coupons", "customer", "subscriptions"};
    std::string text = "{";
    for (const char* k : kPlanned) {
      if (text.size() > 1) text += ',';
      text += '"';
      text += k;
      text += "\":";
      text += snap[k].dump();
    }
    if (scope.request) text += ",\"request\":" + scope.request->dump();
    text += '}';
    plan = usage::plan(text);
    if (plan && scope.proposed_plan) {
      ordered_json planned;
      for (const char* k : kPlanned) planned[k] = snap[k];
      if (scope.request) planned["request"] = *scope.request;
      const std::string code = string_or(*scope.proposed_plan, "code", "");
      for (auto& p : planned["plans"])
        if (string_or(p, "code", "") == code) p = *scope.proposed_plan;
      const auto other = usage::plan(planned.dump());
      if (!other) {
        plan.reset();
      } else {
        for (const auto& [id, codes] : other->codes)
          for (const auto& [metric, fp] : codes) {
            auto [it, fresh] = plan->codes[id].try_emplace(metric, fp);
            if (!fresh && it->second != fp) it->second.reset();  // raw events for both
          }
        for (const auto& [id, edges] : other->edge_buckets) plan->edge_buckets[id].insert(edges.begin(), edges.end());
      }
    }
  }
  timing::mark("plan");
  for (const auto& [id, from] : windows) {
    if (plan && add_usage(tx, *plan, id, from, snap, scope.aggregates_text)) continue;
    EventQuery q;
    q.external_subscription_ids = {id};
    q.from_us = from;
    for (const auto& e : tx.events(q).items) snap["events"].push_back(parse_stored(e.body));
  }
  timing::mark("usage");
  return snap;
}

std::string snapshot_text(ordered_json& snap, const std::string& aggregates_text) {
  if (aggregates_text.empty()) return snap.dump();
  if (auto it = snap.find("usage_aggregates"); it != snap.end()) {
    if (!it->is_array() || !it->empty()) throw std::logic_error("snapshot_text: usage_aggregates twice");
    snap.erase(it);
  }
  std::string text = snap.dump();  // an object with keys: "{...}"
  text.pop_back();
  text += ",\"usage_aggregates\":[";
  text += aggregates_text;
  text += "]}";
  return text;
}

namespace {

Reply run_engine(Operation op, ordered_json& snapshot, const std::string& aggregates_text = {}) {
  timing::mark("calc");
  const std::string text = snapshot_text(snapshot, aggregates_text);
  timing::mark("text");
  const Result r = run(op, text);
  timing::mark("engine");
  return Reply{r.status, r.body};
}

// The engine's preview answers {"invoices": [...]} (one per billing entity, CONTRACT §2);
// Lago's endpoint answers the invoice itself: {"invoice": {...}}. Errors pass unchanged.
// The invoice's customer and subscriptions are answered as Lago's preview serializes them:
// the stored customer with the request's customer fields assigned over it (a new customer:
// never saved, created now), each stored subscription as its own endpoint answers it, a
// subscription the preview builds (new customer, plan change) from the engine's fields.
// Everything the engine computed is passed on as it is.
Reply preview_reply(Context& ctx, Transaction& tx, Reply engine, const json& request,
                    const std::optional<std::string>& customer) {
  if (engine.status != 200) return engine;
  // The engine's answer: integers and decimal strings, and rates as JSON numbers, which a
  // plain parse keeps as the engine printed them.
  ordered_json doc = ordered_json::parse(engine.body);
  auto it = doc.find("invoices");
  if (it == doc.end() || !it->is_array() || it->size() != 1)
    throw std::runtime_error("preview: expected exactly one invoice");
  ordered_json invoice = std::move((*it)[0]);
  [&] {
    Prefetch p;  // what the serializers below read
    p.gets.emplace_back("organization", "default");
    p.lists.push_back(DocumentQuery{"plan", std::nullopt, std::nullopt, 0, -1});
    if (customer) {
      p.gets.emplace_back("customer", *customer);
      p.lists.push_back(DocumentQuery{"subscription", *customer, std::nullopt, 0, -1});
    }
    tx.prefetch(p);
    std::optional<ordered_json> stored;
    if (customer) stored = load_doc(tx, "customer", *customer);
    ordered_json c = stored ? *stored : ordered_json::object();
    if (!stored) {  // Lago: organization.customers.new(created_at: now, updated_at: now)
      for (const char* k : {"lago_id", "external_id", "sequential_id", "slug"}) c[k] = nullptr;
      c["created_at"] = ctx.now;
      c["updated_at"] = ctx.now;
    }
    const json rc = request.contains("customer") && request["customer"].is_object() ? request["customer"] : json::object();
    for (const char* k : {"name", "tax_identification_number", "currency", "timezone", "address_line1",
                          "address_line2", "city", "zipcode", "state", "country", "shipping_address"})
      if (rc.contains(k)) c[k] = to_ordered(rc[k]);
    invoice["customer"] = serialize_customer(c, tx, false);
    auto subs = invoice.find("subscriptions");
    if (subs == invoice.end() || !subs->is_array()) return;
    const auto owned = customer ? tx.list(DocumentQuery{"subscription", *customer, std::nullopt, 0, -1}).items
                                : std::vector<Document>{};
    for (auto& s : *subs) {
      const std::string id = string_or(s, "external_id", "");
      const std::string plan = string_or(s, "plan_code", "");
      std::optional<ordered_json> match;
      for (const auto& d : owned) {
        ordered_json sub = parse_stored(d.body);
        if (string_or(sub, "external_id", "") == id && string_or(sub, "plan_code", "") == plan) match = sub;
      }
      if (!match) {  // built by the preview, never saved
        match = s;
        (*match)["lago_customer_id"] = c["lago_id"];
        (*match)["external_customer_id"] = c["external_id"];
        (*match)["created_at"] = s.contains("subscription_at") ? s["subscription_at"] : ordered_json(ctx.now);
      }
      std::optional<std::string> zone;
      if (!stored && c.contains("timezone") && c["timezone"].is_string()) zone = c["timezone"].get<std::string>();
      s = serialize_subscription(*match, tx, ctx.now_us, zone);
    }
  }();
  ordered_json out;
  out["invoice"] = std::move(invoice);
  Reply reply = json_reply(out);
  timing::mark("reply");
  return reply;
}

bool has_subscription(const ordered_json& snap, const std::string& external_id) {
  for (const auto& s : snap["subscriptions"])
    if (string_or(s, "external_id", "") == external_id) return true;
  return false;
}

// current_usage / projected_usage: GET /customers/{id}/<op>?external_subscription_id=...
Handler usage(Operation op) {
  return [op](Context& ctx) {
    auto sub = ctx.query_value("external_subscription_id");
    if (!sub || sub->empty()) throw validation("external_subscription_id", "value_is_mandatory");
    ordered_json snap;
    std::string aggregates;
    read_then_write(ctx.store, [&](Transaction& tx) {
      aggregates.clear();
      snap = build_snapshot(ctx, tx, SnapshotScope{ctx.params[0], {*sub}, true, std::nullopt, &aggregates});
    });
    if (!has_subscription(snap, *sub)) throw not_found("subscription");
    ordered_json req;
    req["external_subscription_id"] = *sub;
    if (auto t = ctx.query_value("apply_taxes")) req["apply_taxes"] = *t != "false";
    snap["request"] = req;
    return run_engine(op, snap, aggregates);
  };
}

Reply preview(Context& ctx) {
  const json body = ctx.body();
  SnapshotScope scope;
  std::vector<std::string> ids;
  if (body.contains("subscriptions") && body["subscriptions"].is_object()) {
    const json& s = body["subscriptions"];
    if (s.contains("external_ids") && s["external_ids"].is_array())
      for (const auto& id : s["external_ids"])
        if (id.is_string()) ids.push_back(id.get<std::string>());
  }
  std::optional<std::string> ext;
  if (body.contains("customer") && body["customer"].is_object())
    if (auto e = body["customer"].find("external_id");
        e != body["customer"].end() && e->is_string())
      ext = e->get<std::string>();
  ordered_json snap;
  std::string aggregates;
  // In the read transaction, the engine runs and the reply is serialised from what the
  // snapshot read (no second transaction); after a write transaction (a due transition was
  // written) the engine runs outside it and the reply reads in a transaction of its own.
  std::optional<Reply> reply;
  bool first = true;
  read_then_write(ctx.store, [&](Transaction& tx) {
    const bool read_only = first;  // read_then_write: read first, write only when refused
    first = false;
    aggregates.clear();
    prefetch_snapshot(tx, SnapshotScope{ext, ids, true});
    if (ext && !tx.get("customer", *ext)) {
      if (!ids.empty()) throw not_found("customer");
      ext.reset();  // an unknown customer previews as a new one
    }
    scope.customer = ext;
    scope.subscription_ids = ids;
    scope.request = to_ordered(body);
    // A customer time zone given in the request moves local days: no compacted usage then.
    scope.aggregates = !(body.contains("customer") && body["customer"].is_object() && body["customer"].contains("timezone"));
    scope.aggregates_text = &aggregates;
    snap = build_snapshot(ctx, tx, scope);
    snap["request"] = to_ordered(body);
    if (read_only) reply = preview_reply(ctx, tx, run_engine(Operation::preview, snap, aggregates), body, ext);
  });
  if (reply) return *reply;
  Reply engine = run_engine(Operation::preview, snap, aggregates);
  ctx.store.transact(Store::Mode::read,
                     [&](Transaction& tx) { reply = preview_reply(ctx, tx, std::move(engine), body, ext); });
  return *reply;
}

Reply estimate_fees(Context& ctx) {
  const json body = ctx.body_object("event");
  const std::string sub = required_string(body, "external_subscription_id");
  required_string(body, "code");
  ordered_json snap;
  std::string aggregates;
  const ordered_json request = to_ordered(ctx.body());
  read_then_write(ctx.store, [&](Transaction& tx) {
    aggregates.clear();
    std::optional<std::string> customer;
    for (const auto& d : tx.list(DocumentQuery{"subscription", std::nullopt, sub, 0, -1}).items)
      customer = d.owner;
    if (!customer) throw not_found("subscription");
    snap = build_snapshot(ctx, tx, SnapshotScope{customer, {sub}, true, request, &aggregates});
  });
  snap["request"] = request;
  return run_engine(Operation::estimate_fees, snap, aggregates);
}

Reply snapshot_reply(Context& ctx, const std::string& customer, std::optional<std::string> sub) {
  ordered_json snap;
  read_then_write(ctx.store, [&](Transaction& tx) {
    SnapshotScope scope{customer, {}};
    if (sub) scope.subscription_ids = {*sub};
    snap = build_snapshot(ctx, tx, scope);
  });
  if (sub) snap["request"] = {{"external_subscription_id", *sub}};
  else snap["request"] = ordered_json::object();
  return json_reply(snap);
}

}  // namespace

void add_calculation_routes(App& app) {
  app.add("POST", "/api/v1/invoices/preview", preview);
  app.add("GET", "/api/v1/customers/([^/]+)/current_usage", usage(Operation::current_usage));
  app.add("GET", "/api/v1/customers/([^/]+)/projected_usage", usage(Operation::projected_usage));
  app.add("POST", "/api/v1/events/estimate_fees", estimate_fees);
  app.add("GET", "/api/v1/customers/([^/]+)/snapshot", [](Context& ctx) {
    return snapshot_reply(ctx, ctx.params[0], ctx.query_value("external_subscription_id"));
  });
  // --demo only: the portal page fetches a snapshot without a key. Read-only, loopback.
  app.add("GET", "/demo/snapshot", [](Context& ctx) {
    if (!ctx.options.demo) throw route_not_found();
    std::optional<std::string> customer = ctx.query_value("customer");
    std::optional<std::string> sub = ctx.query_value("external_subscription_id");
    if (!customer || !sub) {  // default: the first customer and its first live subscription
      ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
        if (!customer) {
          auto first = tx.list(DocumentQuery{"customer", std::nullopt, std::nullopt, 0, 1});
          if (!first.items.empty()) customer = first.items[0].key;
        }
        if (customer && !sub) {
          for (const auto& d :
               tx.list(DocumentQuery{"subscription", *customer, std::nullopt, 0, -1}).items) {
            const ordered_json s = parse_stored(d.body);
            if (string_or(s, "status", "") == "active") {
              sub = string_or(s, "external_id", "");
              break;
            }
          }
        }
      });
    }
    if (!customer) throw not_found("customer");
    return snapshot_reply(ctx, *customer, sub);
  });
}

}  // namespace tariff::server
