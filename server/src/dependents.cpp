// What depends on a catalog object must stay readable by every later calculation when the
// object changes or goes, so updates and deletions follow Lago's services.
//
// Updates (Lago's *::UpdateService): while in use, an object keeps the fields its users rely
// on and the update changes only the others —
//   metric attached to a plan       only name, description, filters change
//   plan with subscriptions         code, interval, pay_in_advance, amount_currency,
//                                   trial_period, bill_*_monthly stay
//   coupon applied to a customer    code, type, amounts, rate, frequency, reusable stay
// A tax's new code follows it everywhere (Lago refers to taxes by id). A metric's filters
// may change while attached: charge filter values of a removed key or value are trimmed to
// what remains, or dropped with a charge filter left empty (BillableMetricFilters::
// CreateOrUpdateBatchService), in plans and in subscriptions' overrides. A plan update is
// refused when a subscription could no longer be read (an override of a charge it removed).
//
// Deletions (Lago's Destroy services):
//   billable metric  its charges leave every plan (Lago discards metric.charges), and the
//                    subscriptions' plan_overrides of those charges go with them
//   tax              its code leaves every plan, charge, fixed charge, commitment, customer,
//                    organization and override that applied it (applied_taxes.delete_all)
//   coupon           its active applied coupons are terminated
//   plan             its active subscriptions are terminated and pending ones canceled (a
//                    scheduled downgrade to it is called off); the plan is kept, discarded,
//                    for the calculations of those subscriptions' customers
// Without this, one deleted metric made every calculation of every customer on that plan a
// 422 (charge → billable_metric_not_found), a deleted tax one of tax_not_found, a renamed
// metric or plan code one of plan_not_found.
#include <algorithm>
#include <map>
#include <set>

#include "resources.hpp"
#include "webhooks.hpp"

namespace tariff::server {
namespace {

void for_each_doc(Transaction& tx, const char* kind,
                  const std::function<bool(ordered_json&)>& change) {
  for (const auto& d : tx.list(DocumentQuery{kind, std::nullopt, std::nullopt, 0, -1}).items) {
    ordered_json doc = parse_stored(d.body);
    if (change(doc)) tx.put(Document{d.kind, d.key, d.owner, d.ref, doc.dump()});
  }
}

// Removes tax `code` from every tax_codes / taxes list below `node` (or renames it to
// `renamed` when given); true if anything changed.
bool edit_tax(ordered_json& node, const std::string& code, const std::string* renamed) {
  bool changed = false;
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if ((it.key() == "tax_codes" || it.key() == "taxes") && it.value().is_array()) {
        ordered_json kept = ordered_json::array();
        for (auto t : it.value()) {
          const bool name = t.is_string() && t == code;
          const bool object = t.is_object() && t.contains("code") && t["code"] == code;
          if (name || object) {
            changed = true;
            if (!renamed) continue;
            if (name) t = *renamed;
            else t["code"] = *renamed;
          }
          kept.push_back(std::move(t));
        }
        it.value() = std::move(kept);
      } else {
        changed |= edit_tax(it.value(), code, renamed);
      }
    }
  } else if (node.is_array()) {
    for (auto& item : node) changed |= edit_tax(item, code, renamed);
  }
  return changed;
}

bool any_doc(Transaction& tx, const char* kind, const std::function<bool(const ordered_json&)>& pred) {
  for (const auto& d : tx.list(DocumentQuery{kind, std::nullopt, std::nullopt, 0, -1}).items)
    if (pred(parse_stored(d.body))) return true;
  return false;
}

}  // namespace

void after_metric_deleted(Transaction& tx, const ordered_json& metric, Context&) {
  const std::string code = string_or(metric, "code", "");
  const std::string id = string_or(metric, "lago_id", "");
  std::set<std::string> gone;  // lago_ids of the charges removed
  for_each_doc(tx, "plan", [&](ordered_json& plan) {
    auto it = plan.find("charges");
    if (it == plan.end() || !it->is_array()) return false;
    ordered_json kept = ordered_json::array();
    for (const auto& c : *it) {
      const bool of_metric = string_or(c, "billable_metric_code", "") == code ||
                             (!id.empty() && string_or(c, "lago_billable_metric_id", "") == id);
      if (of_metric) gone.insert(string_or(c, "lago_id", ""));
      else kept.push_back(c);
    }
    if (kept.size() == it->size()) return false;
    *it = std::move(kept);
    return true;
  });
  if (gone.empty()) return;
  for_each_doc(tx, "subscription", [&](ordered_json& sub) {
    auto ov = sub.find("plan_overrides");
    if (ov == sub.end() || !ov->is_object() || !ov->contains("charges") || !(*ov)["charges"].is_array())
      return false;
    ordered_json kept = ordered_json::array();
    for (const auto& c : (*ov)["charges"]) {
      const std::string cid = string_or(c, "id", string_or(c, "lago_id", ""));
      if (!gone.count(cid)) kept.push_back(c);
    }
    if (kept.size() == (*ov)["charges"].size()) return false;
    (*ov)["charges"] = std::move(kept);
    return true;
  });
}

void after_tax_deleted(Transaction& tx, const ordered_json& tax, Context&) {
  const std::string code = string_or(tax, "code", "");
  for (const char* kind : {"plan", "customer", "organization", "subscription"})
    for_each_doc(tx, kind, [&](ordered_json& doc) { return edit_tax(doc, code, nullptr); });
}

void after_coupon_deleted(Transaction& tx, const ordered_json& coupon, Context& ctx) {
  const std::string code = string_or(coupon, "code", "");
  for_each_doc(tx, "applied_coupon", [&](ordered_json& a) {
    if (string_or(a, "coupon_code", "") != code || string_or(a, "status", "") != "active") return false;
    a["status"] = "terminated";
    a["terminated_at"] = ctx.now;
    return true;
  });
}

void after_plan_deleted(Transaction& tx, const ordered_json& plan, Context& ctx) {
  const std::string code = string_or(plan, "code", "");
  for_each_doc(tx, "subscription", [&](ordered_json& s) {
    const std::string status = string_or(s, "status", "");
    if (string_or(s, "plan_code", "") == code) {
      if (status == "active") {
        s["status"] = "terminated";
        s["terminated_at"] = ctx.now;
        webhooks::subscription_saving(tx, s);  // subscription.terminated
        return true;
      }
      if (status == "pending") {
        s["status"] = "canceled";
        s["canceled_at"] = ctx.now;
        return true;
      }
      return false;
    }
    if (status == "active" && string_or(s, "next_plan_code", "") == code && !s["downgrade_plan_date"].is_null()) {
      s["next_plan_code"] = nullptr;  // its scheduled downgrade is canceled with the plan
      s["downgrade_plan_date"] = nullptr;
      return true;
    }
    return false;
  });
  save_doc(tx, "discarded_plan", string_or(plan, "lago_id", code), plan, "", code);
}

std::optional<ordered_json> discarded_plan(Transaction& tx, const std::string& code) {
  const auto page = tx.list(DocumentQuery{"discarded_plan", std::nullopt, code, 0, -1});
  if (page.items.empty()) return std::nullopt;
  return parse_stored(page.items.back().body);
}

std::vector<std::string> frozen_metric_fields(Transaction& tx, const ordered_json& metric) {
  const std::string code = string_or(metric, "code", "");
  const bool attached = any_doc(tx, "plan", [&](const ordered_json& plan) {
    for (const auto& c : plan.value("charges", ordered_json::array()))
      if (string_or(c, "billable_metric_code", "") == code) return true;
    return false;
  });
  if (!attached) return {};
  return {"code", "aggregation_type", "weighted_interval", "field_name", "recurring",
          "rounding_function", "rounding_precision", "expression"};
}

std::vector<std::string> frozen_plan_fields(Transaction& tx, const ordered_json& plan) {
  const std::string code = string_or(plan, "code", "");
  if (!any_doc(tx, "subscription", [&](const ordered_json& s) { return string_or(s, "plan_code", "") == code; }))
    return {};
  return {"code", "interval", "pay_in_advance", "amount_currency", "trial_period",
          "bill_charges_monthly", "bill_fixed_charges_monthly"};
}

std::vector<std::string> frozen_coupon_fields(Transaction& tx, const ordered_json& coupon) {
  const std::string code = string_or(coupon, "code", "");
  if (!any_doc(tx, "applied_coupon", [&](const ordered_json& a) { return string_or(a, "coupon_code", "") == code; }))
    return {};
  return {"code", "coupon_type", "amount_cents", "amount_currency", "percentage_rate", "frequency",
          "frequency_duration", "reusable"};
}

namespace {
// Trims one charge's filters to the metric's filters `keep` (key → values).
bool trim_charge_filters(ordered_json& charge, const std::map<std::string, std::set<std::string>>& keep) {
  auto fs = charge.find("filters");
  if (fs == charge.end() || !fs->is_array()) return false;
  bool changed = false;
  ordered_json kept_filters = ordered_json::array();
  for (auto f : *fs) {
    auto vals = f.find("values");
    if (vals == f.end() || !vals->is_object()) { kept_filters.push_back(f); continue; }
    ordered_json kept_values = ordered_json::object();
    for (auto it = vals->begin(); it != vals->end(); ++it) {
      const auto k = keep.find(it.key());
      if (k == keep.end()) { changed = true; continue; }  // the metric's filter is gone
      std::vector<std::string> given;
      if (it.value().is_string()) given.push_back(it.value().get<std::string>());
      else if (it.value().is_array())
        for (const auto& v : it.value()) if (v.is_string()) given.push_back(v.get<std::string>());
      const bool touched = std::any_of(given.begin(), given.end(), [&](const std::string& v) {
        return v != "__ALL_FILTER_VALUES__" && !k->second.count(v);
      });
      if (!touched) { kept_values[it.key()] = it.value(); continue; }
      changed = true;
      ordered_json trimmed = ordered_json::array();
      for (const auto& v : given) if (k->second.count(v)) trimmed.push_back(v);
      if (!trimmed.empty()) kept_values[it.key()] = trimmed;
    }
    if (kept_values.empty()) { changed = true; continue; }  // an emptied charge filter goes
    f["values"] = kept_values;
    kept_filters.push_back(std::move(f));
  }
  if (changed) *fs = std::move(kept_filters);
  return changed;
}
}  // namespace

void after_metric_updated(Transaction& tx, const ordered_json& before, const ordered_json& metric, Context&) {
  if (before.value("filters", ordered_json::array()) == metric.value("filters", ordered_json::array())) return;
  const std::string code = string_or(metric, "code", "");
  std::map<std::string, std::set<std::string>> keep;
  for (const auto& f : metric.value("filters", ordered_json::array())) {
    auto& vs = keep[string_or(f, "key", "")];
    for (const auto& v : f.value("values", ordered_json::array())) if (v.is_string()) vs.insert(v.get<std::string>());
  }
  std::set<std::string> charge_ids;  // this metric's charges, for the overrides
  for_each_doc(tx, "plan", [&](ordered_json& plan) {
    bool changed = false;
    if (plan.contains("charges") && plan["charges"].is_array())
      for (auto& c : plan["charges"]) {
        if (string_or(c, "billable_metric_code", "") != code) continue;
        charge_ids.insert(string_or(c, "lago_id", ""));
        changed |= trim_charge_filters(c, keep);
      }
    return changed;
  });
  for_each_doc(tx, "subscription", [&](ordered_json& sub) {
    auto ov = sub.find("plan_overrides");
    if (ov == sub.end() || !ov->is_object() || !ov->contains("charges") || !(*ov)["charges"].is_array()) return false;
    bool changed = false;
    for (auto& c : (*ov)["charges"])
      if (charge_ids.count(string_or(c, "id", string_or(c, "lago_id", "")))) changed |= trim_charge_filters(c, keep);
    return changed;
  });
}

void after_tax_updated(Transaction& tx, const ordered_json& before, const ordered_json& after, Context&) {
  const std::string from = string_or(before, "code", ""), to = string_or(after, "code", "");
  if (from == to) return;
  for (const char* kind : {"plan", "customer", "organization", "subscription"})
    for_each_doc(tx, kind, [&](ordered_json& doc) { return edit_tax(doc, from, &to); });
}

void after_plan_updated(Transaction& tx, const ordered_json&, const ordered_json& plan, Context& ctx) {
  const std::string code = string_or(plan, "code", "");
  for (const auto& d : tx.list(DocumentQuery{"subscription", std::nullopt, std::nullopt, 0, -1}).items) {
    const ordered_json sub = parse_stored(d.body);
    if (string_or(sub, "plan_code", "") != code) continue;
    refuse_unless_valid(rules::Resource::subscription, sub,
                        subscription_context(tx, string_or(sub, "external_customer_id", ""), {sub}), ctx);
  }
}

}  // namespace tariff::server
