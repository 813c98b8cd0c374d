// The engine's context: the stored objects a rule of the engine (tariff/rules.hpp) reads, as
// snapshot sections. The server holds no rule of its own here.
#include "resources.hpp"

namespace tariff::server {

namespace {
const char* section_name(const std::string& kind) {
  if (kind == "billable_metric") return "billable_metrics";
  if (kind == "tax") return "taxes";
  if (kind == "plan") return "plans";
  if (kind == "coupon") return "coupons";
  return nullptr;
}
}  // namespace

json exact_json(const ordered_json& doc) { return parse_json_exact(doc.dump()); }

json stored_context(Transaction& tx, std::initializer_list<const char*> kinds) {
  json ctx = json::object();
  for (const char* kind : kinds) {
    const std::string k(kind);
    if (k == "organization") {
      ctx["organization"] = exact_json(snapshot_organization(tx));
      continue;
    }
    const char* section = section_name(k);
    if (!section) continue;
    json items = json::array();
    for (const auto& d : tx.list(DocumentQuery{k, std::nullopt, std::nullopt, 0, -1}).items)
      items.push_back(parse_json_exact(d.body));
    ctx[section] = std::move(items);
  }
  return ctx;
}

}  // namespace tariff::server
