// What a deletion leaves behind must still be readable by every later calculation, so a
// catalog object is removed the way Lago removes it (its Destroy services):
//   billable metric  its charges leave every plan (Lago discards metric.charges), and the
//                    subscriptions' plan_overrides of those charges go with them
//   tax              its code leaves every plan, charge, fixed charge, commitment, customer,
//                    organization and override that applied it (applied_taxes.delete_all)
//   coupon           its active applied coupons are terminated
// Without this, one deleted metric made every calculation of every customer on that plan a
// 422 (charge → billable_metric_not_found), and a deleted tax one of tax_not_found.
#include <set>

#include "resources.hpp"

namespace tariff::server {
namespace {

void for_each_doc(Transaction& tx, const char* kind,
                  const std::function<bool(ordered_json&)>& change) {
  for (const auto& d : tx.list(DocumentQuery{kind, std::nullopt, std::nullopt, 0, -1}).items) {
    ordered_json doc = parse_stored(d.body);
    if (change(doc)) tx.put(Document{d.kind, d.key, d.owner, d.ref, doc.dump()});
  }
}

// Removes tax `code` from every tax_codes / taxes list below `node`; true if any was removed.
bool drop_tax(ordered_json& node, const std::string& code) {
  bool changed = false;
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if ((it.key() == "tax_codes" || it.key() == "taxes") && it.value().is_array()) {
        ordered_json kept = ordered_json::array();
        for (const auto& t : it.value()) {
          const bool match = (t.is_string() && t == code) ||
                             (t.is_object() && t.contains("code") && t["code"] == code);
          if (!match) kept.push_back(t);
        }
        if (kept.size() != it.value().size()) it.value() = std::move(kept), changed = true;
      } else {
        changed |= drop_tax(it.value(), code);
      }
    }
  } else if (node.is_array()) {
    for (auto& item : node) changed |= drop_tax(item, code);
  }
  return changed;
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
    for_each_doc(tx, kind, [&](ordered_json& doc) { return drop_tax(doc, code); });
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

}  // namespace tariff::server
