// Catalog resources keyed by `code`: billable metrics, plans, taxes, coupons; and the
// organization settings. Objects are stored as given, plus lago_id and created_at; a plan's
// charges and fixed charges get their own lago_id, and each charge names its metric both by
// code and by id, whichever the caller used (Lago's API takes billable_metric_id).
#include "billing.hpp"
#include "resources.hpp"
#include "serializers.hpp"
#include "tariff/ids.hpp"

namespace tariff::server {
namespace {

struct CodeResource {
  std::string kind;    // store kind and JSON root: "plan"
  std::string plural;  // "plans"
  std::string path;    // "/api/v1/plans"
  // Fills derived fields before a save; may throw HttpError.
  std::function<void(ordered_json&, Transaction&, Context&)> prepare;
  // The stored document as Lago's API answers it (serializers.hpp).
  std::function<ordered_json(const ordered_json&, Transaction&)> serialize;
  // After the object is removed (dependents.cpp); may be empty.
  std::function<void(Transaction&, const ordered_json&, Context&)> removed = nullptr;
  // Fields an update leaves unchanged while the object is in use; may be empty.
  std::function<std::vector<std::string>(Transaction&, const ordered_json&)> frozen = nullptr;
  // After an update is saved (before, after); may be empty.
  std::function<void(Transaction&, const ordered_json&, const ordered_json&, Context&)> updated = nullptr;
};

// The engine validates a plan exactly as it will price it (with the stored metrics and
// taxes) and refuses it with its own error details, so nothing unpriceable is ever stored.
void validate_with_engine(const ordered_json& plan, Transaction& tx, Context& ctx) {
  refuse_unless_valid(rules::Resource::plan, plan, stored_context(tx, {"billable_metric", "tax"}), ctx);
}

void prepare_plan(ordered_json& plan, Transaction& tx, Context& ctx) {
  auto resolve_charges = [&](const char* list, bool needs_metric) {
    auto it = plan.find(list);
    if (it == plan.end() || it->is_null()) {
      plan[list] = ordered_json::array();
      return;
    }
    if (!it->is_array()) throw validation(list, "invalid_type");
    size_t i = 0;
    for (auto& charge : *it) {
      const std::string at = std::string(list) + "[" + std::to_string(i++) + "]";
      if (!charge.is_object()) throw validation(at, "invalid_type");
      // Lago's update names an existing charge by `id`: it keeps its identity (overrides use it)
      if ((!charge.contains("lago_id") || !charge["lago_id"].is_string()) && charge.contains("id") &&
          charge["id"].is_string())
        charge["lago_id"] = charge["id"];
      if (!charge.contains("lago_id") || !charge["lago_id"].is_string())
        charge["lago_id"] = ctx.ids.uuid();
      if (!charge.contains("created_at")) charge["created_at"] = ctx.now;
      if (!needs_metric) {  // a fixed charge: its add-on's id, derived from the code by the engine
        if (!charge.contains("lago_add_on_id") || !charge["lago_add_on_id"].is_string())
          charge["lago_add_on_id"] = derived_add_on_id(string_or(charge, "add_on_code", string_or(charge, "code", "")));
        continue;
      }
      // A metric by code, or by lago id (billable_metric_id / lago_billable_metric_id).
      std::optional<ordered_json> metric;
      const std::string code = string_or(charge, "billable_metric_code", "");
      std::string id = string_or(charge, "billable_metric_id", "");
      if (id.empty()) id = string_or(charge, "lago_billable_metric_id", "");
      if (!code.empty()) {
        metric = load_doc(tx, "billable_metric", code);
      } else if (!id.empty()) {
        auto page = tx.list(DocumentQuery{"billable_metric", std::nullopt, id, 0, 1});
        if (!page.items.empty()) metric = parse_stored(page.items[0].body);
      } else {
        throw validation(at + ".billable_metric_id", "value_is_mandatory");
      }
      if (!metric) throw not_found("billable_metric");
      charge["billable_metric_code"] = (*metric)["code"];
      charge["lago_billable_metric_id"] = (*metric)["lago_id"];
      charge["billable_metric_id"] = (*metric)["lago_id"];
    }
  };
  resolve_charges("charges", true);
  resolve_charges("fixed_charges", false);
  // Lago gives usage thresholds and the minimum commitment their own id and creation time.
  auto identify = [&](ordered_json& o) {
    if (!o.is_object()) return;
    if (!o.contains("lago_id") || !o["lago_id"].is_string()) o["lago_id"] = ctx.ids.uuid();
    if (!o.contains("created_at")) o["created_at"] = ctx.now;
  };
  if (auto t = plan.find("usage_thresholds"); t != plan.end() && t->is_array())
    for (auto& x : *t) identify(x);
  if (auto m = plan.find("minimum_commitment"); m != plan.end()) identify(*m);
  validate_with_engine(plan, tx, ctx);
}

void prepare_metric(ordered_json& m, Transaction&, Context& ctx) {
  if (!m.contains("aggregation_type")) throw validation("aggregation_type", "value_is_mandatory");
  if (!m.contains("recurring")) m["recurring"] = false;
  if (!m.contains("filters")) m["filters"] = ordered_json::array();
  refuse_unless_valid(rules::Resource::billable_metric, m, json::object(), ctx);
}

void prepare_tax(ordered_json& t, Transaction&, Context& ctx) {
  if (!t.contains("rate")) throw validation("rate", "value_is_mandatory");
  if (!t.contains("applied_to_organization")) t["applied_to_organization"] = false;
  refuse_unless_valid(rules::Resource::tax, t, json::object(), ctx);
}

void prepare_coupon(ordered_json& c, Transaction& tx, Context& ctx) {
  if (!c.contains("coupon_type")) throw validation("coupon_type", "value_is_mandatory");
  if (!c.contains("frequency")) c["frequency"] = "once";
  if (!c.contains("reusable")) c["reusable"] = true;
  if (!c.contains("expiration")) c["expiration"] = "no_expiration";
  refuse_unless_valid(rules::Resource::coupon, c, stored_context(tx, {"billable_metric", "plan"}), ctx);
}

void add_code_resource(App& app, const CodeResource& r) {
  const std::string item = r.path + "/([^/]+)";

  app.add("POST", r.path, [r](Context& ctx) {
    const json in = ctx.body_object(r.kind);
    const std::string code = required_string(in, "code");
    ordered_json out;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      if (tx.get(r.kind, code)) throw validation("code", "value_already_exist");
      out = ordered_json::object();
      out["lago_id"] = ctx.ids.uuid();
      merge_fields(out, in);
      out["created_at"] = ctx.now;
      r.prepare(out, tx, ctx);
      save_doc(tx, r.kind, code, out, "", out["lago_id"].get<std::string>());
      out = r.serialize(out, tx);
    });
    return object_reply(r.kind, out);
  });

  app.add("PUT", item, [r](Context& ctx) {
    const json in = ctx.body_object(r.kind);
    const std::string code = ctx.params[0];
    ordered_json out;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      auto cur = load_doc(tx, r.kind, code);
      if (!cur) throw not_found(r.kind);
      out = *cur;
      json changes = in;
      if (r.frozen)
        for (const auto& f : r.frozen(tx, *cur)) changes.erase(f);
      merge_fields(out, changes);
      const std::string new_code = string_or(out, "code", "");
      if (new_code.empty()) throw validation("code", "value_is_mandatory");
      if (new_code != code) {
        if (tx.get(r.kind, new_code)) throw validation("code", "value_already_exist");
        tx.remove(r.kind, code);
      }
      r.prepare(out, tx, ctx);
      save_doc(tx, r.kind, new_code, out, "", out["lago_id"].get<std::string>());
      if (r.updated) r.updated(tx, *cur, out, ctx);
      out = r.serialize(out, tx);
    });
    return object_reply(r.kind, out);
  });

  app.add("GET", item, [r](Context& ctx) {
    std::optional<ordered_json> doc;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
      doc = load_doc(tx, r.kind, ctx.params[0]);
      if (doc) doc = r.serialize(*doc, tx);
    });
    if (!doc) throw not_found(r.kind);
    return object_reply(r.kind, *doc);
  });

  app.add("DELETE", item, [r](Context& ctx) {
    std::optional<ordered_json> doc;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      doc = load_doc(tx, r.kind, ctx.params[0]);
      if (!doc) return;
      tx.remove(r.kind, ctx.params[0]);
      if (r.removed) r.removed(tx, *doc, ctx);
      doc = r.serialize(*doc, tx);
    });
    if (!doc) throw not_found(r.kind);
    return object_reply(r.kind, *doc);
  });

  app.add("GET", r.path, [r](Context& ctx) {
    const Pagination p = parse_pagination(ctx.query());
    DocumentPage page;
    ordered_json items = ordered_json::array();
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
      page = tx.list(DocumentQuery{r.kind, std::nullopt, std::nullopt, p.offset(), p.per_page});
      for (const auto& d : page.items) items.push_back(r.serialize(parse_stored(d.body), tx));
    });
    return list_reply(r.plural, items, p, page.total);
  });
}

}  // namespace

// The organization as stored (as the API wrote it), or a fresh store's defaults.
ordered_json load_organization(Transaction& tx) {
  auto org = load_doc(tx, "organization", "default");
  if (org) return *org;
  ordered_json d;
  d["name"] = "tariff";
  d["timezone"] = "UTC";
  d["default_currency"] = "USD";
  d["billing_configuration"] = {{"invoice_grace_period", 0}};
  return d;
}

ordered_json snapshot_organization(Transaction& tx) {
  ordered_json org = load_organization(tx);
  if (!org.contains("timezone") || org["timezone"].is_null()) org["timezone"] = "UTC";
  if (!org.contains("default_currency")) org["default_currency"] = "USD";
  if (!org.contains("invoice_grace_period")) {
    auto bc = org.find("billing_configuration");
    if (bc != org.end() && bc->is_object() && bc->contains("invoice_grace_period"))
      org["invoice_grace_period"] = (*bc)["invoice_grace_period"];
    else
      org["invoice_grace_period"] = 0;
  }
  return org;
}

// The price-change impact (impact.cpp) prices a proposed plan prepared as a PUT would.
void prepare_proposed_plan(ordered_json& plan, Transaction& tx, Context& ctx) { prepare_plan(plan, tx, ctx); }

void add_catalog_routes(App& app) {
  auto plain = [](ordered_json (*f)(const ordered_json&)) {
    return [f](const ordered_json& d, Transaction&) { return f(d); };
  };
  add_code_resource(app, {"billable_metric", "billable_metrics", "/api/v1/billable_metrics",
                          prepare_metric, plain(serialize_metric), after_metric_deleted,
                          frozen_metric_fields, after_metric_updated});
  add_code_resource(app, {"plan", "plans", "/api/v1/plans", prepare_plan, serialize_plan,
                          after_plan_deleted, frozen_plan_fields, after_plan_updated});
  add_code_resource(app, {"tax", "taxes", "/api/v1/taxes", prepare_tax, plain(serialize_tax),
                          after_tax_deleted, nullptr, after_tax_updated});
  add_code_resource(app, {"coupon", "coupons", "/api/v1/coupons", prepare_coupon,
                          plain(serialize_coupon), after_coupon_deleted, frozen_coupon_fields});

  app.add("GET", "/api/v1/organizations", [](Context& ctx) {
    ordered_json org;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      org = serialize_organization(ensure_organization(tx, ctx.now, ctx.ids), tx);
    });
    return object_reply("organization", org);
  });
  app.add("PUT", "/api/v1/organizations", [](Context& ctx) {
    const json in = ctx.body_object("organization");
    ordered_json org;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      org = load_organization(tx);  // stored, or the defaults of a fresh store
      const std::string settings_before = draft_settings(org);
      merge_fields(org, in);
      refuse_unless_valid(rules::Resource::organization, org, stored_context(tx, {"tax"}), ctx);
      complete_organization(org, ctx.now, ctx.ids);  // an organization created now takes its name's prefix
      save_doc(tx, "organization", "default", org);
      if (draft_settings(org) != settings_before) redate_drafts(ctx, tx, std::nullopt);  // billing entity's grace period
      org = serialize_organization(org, tx);
    });
    return object_reply("organization", org);
  });
}

}  // namespace tariff::server
