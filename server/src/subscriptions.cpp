// Subscriptions: create, upgrade/downgrade by posting a new plan_code on the same
// external_id, update, terminate (DELETE), list.
//
// Stored by lago_id with owner = external_customer_id and ref = external_id, so that one
// external_id can hold its history (old plan terminated, new plan active).
//   upgrade   (the engine's rule, tariff::rules::plan_change): old terminated now; new active
//             now, same anchor
//   downgrade: old runs to its period end in the customer's zone; new pending, activated at
//             local midnight of downgrade_plan_date
// Due transitions are applied lazily (settle_subscriptions) when a customer is read for a
// calculation or a listing, at the request's `now` — there is no background job.
#include <date/date.h>

#include "progressive.hpp"
#include "resources.hpp"
#include "tariff/rules.hpp"
#include "serializers.hpp"
#include "webhooks.hpp"

namespace tariff::server {
namespace {

// 422 unless the engine can read `sub` in its customer's snapshot (plan, overrides, dates).
void refuse_invalid_subscription(Context& ctx, Transaction& tx, const ordered_json& sub) {
  refuse_unless_valid(rules::Resource::subscription, sub,
                      subscription_context(tx, string_or(sub, "external_customer_id", ""), {sub}), ctx);
}

HttpError engine_error(const Error& e) {
  HttpError h{e.status, parse_stored(e.to_json())};
  return h;
}

std::vector<Document> subscriptions_of(Transaction& tx, std::optional<std::string> customer,
                                       std::optional<std::string> external_id) {
  return tx.list(DocumentQuery{"subscription", customer, external_id, 0, -1}).items;
}

void save_sub(Transaction& tx, const ordered_json& s) {
  webhooks::subscription_saving(tx, s);  // subscription.started / .terminated
  save_doc(tx, "subscription", s["lago_id"], s, string_or(s, "external_customer_id", ""),
           string_or(s, "external_id", ""));
}

// The live subscription of an external id: active first, else pending, else the newest.
std::optional<ordered_json> current(Transaction& tx, const std::string& external_id,
                                    bool live_only) {
  std::optional<ordered_json> active, pending, newest;
  for (const auto& d : subscriptions_of(tx, std::nullopt, external_id)) {
    ordered_json s = parse_stored(d.body);
    const std::string st = string_or(s, "status", "");
    if (st == "active") active = s;
    else if (st == "pending" && !pending) pending = s;
    newest = s;
  }
  if (active) return active;
  if (pending) return pending;
  return live_only ? std::nullopt : newest;
}

ordered_json new_subscription(Context& ctx, const ordered_json& customer, const json& in,
                              const std::string& plan_code, const std::string& external_id) {
  ordered_json s;
  s["lago_id"] = ctx.ids.uuid();
  s["external_id"] = external_id;
  s["lago_customer_id"] = customer["lago_id"];
  s["external_customer_id"] = customer["external_id"];
  s["name"] = in.value("name", json(nullptr));
  s["plan_code"] = plan_code;
  s["status"] = "active";
  s["billing_time"] = in.value("billing_time", json("calendar"));
  s["subscription_at"] = in.contains("subscription_at") && !in["subscription_at"].is_null()
                             ? in["subscription_at"].get<std::string>()
                             : ctx.now;
  s["started_at"] = s["subscription_at"];
  s["ending_at"] = in.value("ending_at", json(nullptr));
  s["terminated_at"] = nullptr;
  s["canceled_at"] = nullptr;
  s["created_at"] = ctx.now;
  s["previous_plan_code"] = nullptr;
  s["next_plan_code"] = nullptr;
  s["downgrade_plan_date"] = nullptr;
  if (in.contains("plan_overrides")) s["plan_overrides"] = to_ordered(in["plan_overrides"]);
  store_subscription_thresholds(s, in, ctx.now, ctx.ids);  // progressive.cpp
  return s;
}

ordered_json create(Context& ctx, Transaction& tx, const json& in) {
  const std::string ext_customer = required_string(in, "external_customer_id");
  const std::string plan_code = required_string(in, "plan_code");
  const std::string external_id = required_string(in, "external_id");
  if (in.contains("subscription_at") && !in["subscription_at"].is_null() &&
      (!in["subscription_at"].is_string() || !parse_iso(in["subscription_at"].get<std::string>())))
    throw validation("subscription_at", "invalid_date");
  auto customer = load_doc(tx, "customer", ext_customer);
  if (!customer) {  // Lago creates the customer a subscription names
    ordered_json c;
    c["lago_id"] = ctx.ids.uuid();
    c["external_id"] = ext_customer;
    c["created_at"] = ctx.now;
    c["timezone"] = nullptr;
    identify_customer(tx, c, ctx.now, ctx.ids);
    save_doc(tx, "customer", ext_customer, c, "", c["lago_id"].get<std::string>());
    customer = c;
  }
  auto plan = load_doc(tx, "plan", plan_code);
  if (!plan) throw not_found("plan");
  settle_subscriptions(tx, ext_customer, ctx.now_us, ctx.now);

  auto cur = current(tx, external_id, true);
  if (cur && string_or(*cur, "external_customer_id", "") != ext_customer)
    throw validation("external_id", "value_already_exist");
  if (!cur) {
    ordered_json s = new_subscription(ctx, *customer, in, plan_code, external_id);
    refuse_invalid_subscription(ctx, tx, s);
    const auto at = parse_iso(s["subscription_at"].get<std::string>());
    if (at && *at > ctx.now_us) {
      s["status"] = "pending";
      s["started_at"] = nullptr;
    }
    save_sub(tx, s);
    return s;
  }
  ordered_json old = *cur;
  if (string_or(old, "plan_code", "") == plan_code) {  // same plan: update in place
    for (const char* f : {"name", "ending_at"})
      if (in.contains(f)) old[f] = to_ordered(in[f]);
    refuse_invalid_subscription(ctx, tx, old);
    save_sub(tx, old);
    return old;
  }
  if (string_or(old, "status", "") == "pending") {  // not started: switch its plan
    old["plan_code"] = plan_code;
    refuse_invalid_subscription(ctx, tx, old);
    save_sub(tx, old);
    return old;
  }
  json snap = subscription_context(tx, ext_customer, {old, ordered_json{{"plan_code", plan_code}}});
  snap["now"] = ctx.now;
  snap["subscriptions"] = json::array({exact_json(old)});
  const auto change = rules::plan_change(snap.dump(), external_id, plan_code);
  if (!change.ok()) throw engine_error(change.error);
  ordered_json next = new_subscription(ctx, *customer, in, plan_code, external_id);
  next["subscription_at"] = old["subscription_at"];
  next["billing_time"] = old["billing_time"];
  next["ending_at"] = old["ending_at"];
  next["previous_plan_code"] = old["plan_code"];
  if (change.value->kind == rules::PlanChangeKind::upgrade) {
    old["status"] = "terminated";
    old["terminated_at"] = ctx.now;
    old["next_plan_code"] = plan_code;
    next["started_at"] = ctx.now;
  } else {  // downgrade at the next period start, a local date in the customer's zone
    old["next_plan_code"] = plan_code;
    old["downgrade_plan_date"] = format_date(change.value->effective_day);
    next["status"] = "pending";
    next["started_at"] = nullptr;
  }
  refuse_invalid_subscription(ctx, tx, next);
  save_sub(tx, old);
  save_sub(tx, next);
  return next;
}

bool status_selected(const Context& ctx, const std::string& status) {
  bool any = false;
  for (auto [it, end] = ctx.query().equal_range("status[]"); it != end; ++it) {
    any = true;
    if (it->second == status) return true;
  }
  for (auto [it, end] = ctx.query().equal_range("status"); it != end; ++it) {
    any = true;
    if (it->second == status) return true;
  }
  return !any && status == "active";  // Lago lists active subscriptions by default
}

Reply list(Context& ctx, std::optional<std::string> customer) {
  const Pagination p = parse_pagination(ctx.query());
  const auto plan = ctx.query_value("plan_code");
  std::vector<ordered_json> all;
  ordered_json items = ordered_json::array();
  int64_t total = 0;
  ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
    if (customer) settle_subscriptions(tx, *customer, ctx.now_us, ctx.now);
    for (const auto& d : subscriptions_of(tx, customer, std::nullopt)) {
      ordered_json s = parse_stored(d.body);
      if (!status_selected(ctx, string_or(s, "status", ""))) continue;
      if (plan && string_or(s, "plan_code", "") != *plan) continue;
      all.push_back(std::move(s));
    }
    total = static_cast<int64_t>(all.size());
    for (int64_t i = p.offset(); i < total && i < p.offset() + p.per_page; ++i)
      items.push_back(serialize_subscription(all[static_cast<size_t>(i)], tx, ctx.now_us));
  });
  return list_reply("subscriptions", items, p, total);
}

// Local midnight of a downgrade_plan_date in the customer's zone (the engine's choice of zone).
std::optional<int64_t> downgrade_instant(Transaction& tx, const std::string& customer,
                                         const std::string& day, const std::string& now) {
  const auto d = parse_date(day);
  if (!d) return std::nullopt;
  json snap = stored_context(tx, {"organization"});
  snap["now"] = now;
  if (auto c = load_doc(tx, "customer", customer)) snap["customer"] = exact_json(*c);
  const auto at = rules::start_of_local_day(snap.dump(), *d);
  if (!at.ok()) return std::nullopt;
  return at.value->time_since_epoch().count();
}

}  // namespace

void settle_subscriptions(Transaction& tx, const std::string& customer, int64_t now_us,
                          const std::string& now) {
  auto docs = subscriptions_of(tx, customer, std::nullopt);
  for (const auto& d : docs) {
    ordered_json s = parse_stored(d.body);
    const std::string st = string_or(s, "status", "");
    bool changed = false;
    if (st == "pending" && s["previous_plan_code"].is_null()) {
      auto at = parse_iso(string_or(s, "subscription_at", ""));
      if (at && *at <= now_us) {
        s["status"] = "active";
        s["started_at"] = s["subscription_at"];
        changed = true;
      }
    } else if (st == "active") {
      auto end = parse_iso(string_or(s, "ending_at", ""));
      const std::string down_day = string_or(s, "downgrade_plan_date", "");
      auto down = down_day.empty() ? std::nullopt : downgrade_instant(tx, customer, down_day, now);
      if (down && *down <= now_us) {  // downgrade due: hand over to the pending plan
        const std::string at = format_iso(*down);
        s["status"] = "terminated";
        s["terminated_at"] = at;
        for (const auto& n : subscriptions_of(tx, customer, string_or(s, "external_id", ""))) {
          ordered_json next = parse_stored(n.body);
          if (string_or(next, "status", "") != "pending") continue;
          next["status"] = "active";
          next["started_at"] = at;
          save_sub(tx, next);
        }
        changed = true;
      } else if (end && *end <= now_us) {
        s["status"] = "terminated";
        s["terminated_at"] = s["ending_at"];
        changed = true;
      }
    }
    if (changed) save_sub(tx, s);
  }
}

void add_subscription_routes(App& app) {
  app.add("POST", "/api/v1/subscriptions", [](Context& ctx) {
    const json in = ctx.body_object("subscription");
    ordered_json out;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      const ordered_json stored = create(ctx, tx, in);
      out = serialize_subscription(stored, tx, ctx.now_us);
      out["applicable_usage_thresholds"] = applicable_usage_thresholds(tx, stored);  // progressive.cpp
    });
    return object_reply("subscription", out);
  });
  app.add("GET", "/api/v1/subscriptions", [](Context& ctx) {
    return list(ctx, ctx.query_value("external_customer_id"));
  });
  app.add("GET", "/api/v1/customers/([^/]+)/subscriptions",
          [](Context& ctx) { return list(ctx, ctx.params[0]); });
  app.add("GET", "/api/v1/subscriptions/([^/]+)", [](Context& ctx) {
    std::optional<ordered_json> s;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
      s = current(tx, ctx.params[0], false);
      if (!s) return;
      const ordered_json thresholds = applicable_usage_thresholds(tx, *s);  // progressive.cpp
      s = serialize_subscription(*s, tx, ctx.now_us);
      (*s)["applicable_usage_thresholds"] = thresholds;
    });
    if (!s) throw not_found("subscription");
    return object_reply("subscription", *s);
  });
  app.add("PUT", "/api/v1/subscriptions/([^/]+)", [](Context& ctx) {
    const json in = ctx.body_object("subscription");
    ordered_json s;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      auto cur = current(tx, ctx.params[0], true);
      if (!cur) throw not_found("subscription");
      s = *cur;
      for (const char* f : {"name", "ending_at", "plan_overrides"})
        if (in.contains(f)) s[f] = to_ordered(in[f]);
      store_subscription_thresholds(s, in, ctx.now, ctx.ids);  // progressive.cpp
      if (in.contains("subscription_at") && string_or(s, "status", "") == "pending")
        s["subscription_at"] = to_ordered(in["subscription_at"]);
      refuse_invalid_subscription(ctx, tx, s);
      save_sub(tx, s);
      const ordered_json thresholds = applicable_usage_thresholds(tx, s);  // progressive.cpp
      s = serialize_subscription(s, tx, ctx.now_us);
      s["applicable_usage_thresholds"] = thresholds;
    });
    return object_reply("subscription", s);
  });
  app.add("DELETE", "/api/v1/subscriptions/([^/]+)", [](Context& ctx) {
    const std::string wanted = ctx.query_value("status").value_or("active");
    ordered_json s;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      std::optional<ordered_json> hit;
      for (const auto& d : subscriptions_of(tx, std::nullopt, ctx.params[0])) {
        ordered_json c = parse_stored(d.body);
        if (string_or(c, "status", "") == wanted) hit = c;
      }
      if (!hit) throw not_found("subscription");
      s = *hit;
      if (wanted == "pending") {
        s["status"] = "canceled";
        s["canceled_at"] = ctx.now;
      } else {
        s["status"] = "terminated";
        s["terminated_at"] = ctx.now;
      }
      save_sub(tx, s);
      // As Lago: terminating a subscription cancels its scheduled downgrade; canceling that
      // downgrade keeps the current plan running (no termination at downgrade_plan_date).
      for (const auto& d : subscriptions_of(tx, std::nullopt, ctx.params[0])) {
        ordered_json c = parse_stored(d.body);
        const std::string st = string_or(c, "status", "");
        if (wanted != "pending" && st == "pending" && !c["previous_plan_code"].is_null()) {
          c["status"] = "canceled";
          c["canceled_at"] = ctx.now;
          save_sub(tx, c);
        } else if (wanted == "pending" && st == "active" && !c["downgrade_plan_date"].is_null()) {
          c["next_plan_code"] = nullptr;
          c["downgrade_plan_date"] = nullptr;
          save_sub(tx, c);
        }
      }
      s = serialize_subscription(s, tx, ctx.now_us);
    });
    return object_reply("subscription", s);
  });
}

}  // namespace tariff::server
