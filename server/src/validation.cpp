// Refusal at the door: before anything is stored, the engine reads it as a calculation will
// (tariff::rules::validate) and Lago's model validations run; a refused object is answered
// with 422 validation_errors and Lago's codes, and nothing is written. The server holds no
// rule of its own here: it only gathers the stored objects the engine needs as context.
#include <set>

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

// Only the plans the subscriptions name: another stored plan cannot matter to them.
json subscription_context(Transaction& tx, const std::string& external_customer_id,
                          const std::vector<ordered_json>& subs) {
  json context = stored_context(tx, {"organization", "billable_metric", "tax"});
  if (auto c = load_doc(tx, "customer", external_customer_id)) context["customer"] = exact_json(*c);
  context["plans"] = json::array();
  std::set<std::string> codes;
  for (const auto& sub : subs) {
    const std::string code = string_or(sub, "plan_code", "");
    if (!codes.insert(code).second) continue;
    if (auto plan = load_doc(tx, "plan", code)) context["plans"].push_back(exact_json(*plan));
  }
  return context;
}

ordered_json details_document(const rules::Details& details) {
  ordered_json d = ordered_json::object();
  for (const auto& [path, codes] : details) d[path] = codes;
  return d;
}

std::vector<ordered_json> validation_errors(rules::Resource kind, const json& objects,
                                            const json& context, const Context& ctx) {
  std::vector<ordered_json> out;
  const Instant now{std::chrono::microseconds{ctx.now_us}};
  for (const auto& d : rules::validate(kind, objects, context, now)) out.push_back(details_document(d));
  return out;
}

void refuse_unless_valid(rules::Resource kind, const ordered_json& object, const json& context,
                         const Context& ctx) {
  const auto errors = validation_errors(kind, json::array({exact_json(object)}), context, ctx);
  if (!errors.empty() && !errors[0].empty()) throw validation_details(errors[0]);
}

}  // namespace tariff::server
