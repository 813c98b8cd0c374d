// snapshot.invoices[] for progressive billing, and usage thresholds (see issued_invoices.hpp).
// history.cpp has already checked the fee fields it reads; this reads the rest leniently where
// history.cpp is strict, and strictly what only it reads (invoice_type, totals, credits).
#include "snapshot/issued_invoices.hpp"

#include <set>
#include <utility>

#include "snapshot/reader.hpp"
#include "snapshot/snapshot.hpp"

namespace tariff {

const std::vector<UsageThreshold>& Subscription::applicable_usage_thresholds() const {
  static const std::vector<UsageThreshold> none;
  if (progressive_billing_disabled) return none;
  if (!usage_thresholds.empty()) return usage_thresholds;
  return plan ? plan->usage_thresholds : none;
}

std::vector<UsageThreshold> parse_usage_thresholds(const nlohmann::json& o, const std::string& path, Reader& r) {
  std::vector<UsageThreshold> out;
  const nlohmann::json* list = r.array(o, "usage_thresholds", path);
  if (!list) return out;
  const std::string p = Reader::at(path, "usage_thresholds");
  if (list->size() > 1000) {
    r.add(p, "too_many_thresholds");
    return out;
  }
  bool missing = false;
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& t = (*list)[i];
    const std::string q = Reader::at(p, i);
    if (!t.is_object()) {
      r.add(q, "value_is_invalid");
      continue;
    }
    UsageThreshold u;
    if (!Reader::has(t, "amount_cents")) {
      missing = true;
      continue;
    }
    const auto amount = r.integer(t, "amount_cents", q, true);
    if (amount && *amount <= 0) r.add(Reader::at(q, "amount_cents"), "value_is_out_of_range");  // numericality > 0
    u.amount_cents = amount.value_or(0);
    u.threshold_display_name = r.string(t, "threshold_display_name", q);
    u.recurring = r.boolean(t, "recurring", q, false);
    u.lago_id = r.string(t, "lago_id", q).value_or("");
    u.created_at = r.string(t, "created_at", q).value_or("");
    u.updated_at = r.string(t, "updated_at", q).value_or(u.created_at);
    out.push_back(std::move(u));
  }
  if (missing) {
    r.add(p, "missing_amount_cents");
    return out;
  }
  std::set<std::pair<int64_t, bool>> seen;
  int recurring = 0;
  bool duplicated = false;
  for (const auto& u : out) {
    duplicated |= !seen.insert({u.amount_cents, u.recurring}).second;
    recurring += u.recurring ? 1 : 0;
  }
  if (duplicated) r.add(p, "duplicated_values");
  else if (recurring > 1) r.add(p, "multiple_recurring_thresholds");
  return out;
}

void parse_subscription_progressive(Subscription& sub, const nlohmann::json& o, const std::string& path, Reader& r) {
  sub.usage_thresholds = parse_usage_thresholds(o, path, r);
  sub.progressive_billing_disabled = r.boolean(o, "progressive_billing_disabled", path, false);
  if (const nlohmann::json* lu = r.object(o, "lifetime_usage", path)) {
    const std::string p = Reader::at(path, "lifetime_usage");
    const auto h = r.integer(*lu, "external_historical_usage_amount_cents", p);
    if (h && *h < 0) r.add(Reader::at(p, "external_historical_usage_amount_cents"), "value_is_out_of_range");
    sub.historical_usage_amount_cents = h.value_or(0);
  }
}

void parse_issued_invoices(const nlohmann::json& doc, Snapshot& s, Reader& r) {
  const nlohmann::json* invoices = Reader::field(doc, "invoices");
  if (!invoices || !invoices->is_array()) return;  // history.cpp reports a wrong type
  for (size_t i = 0; i < invoices->size(); ++i) {
    const nlohmann::json& inv = (*invoices)[i];
    if (!inv.is_object()) continue;
    const std::string p = Reader::at("invoices", i);
    IssuedInvoice out;
    out.order = i;
    out.lago_id = r.string(inv, "lago_id", p).value_or("");
    out.number = r.string(inv, "number", p).value_or("");
    out.invoice_type = r.string(inv, "invoice_type", p).value_or("subscription");
    out.status = r.string(inv, "status", p).value_or("finalized");
    out.issuing_date = r.string(inv, "issuing_date", p).value_or("");
    out.sequential_id = r.integer(inv, "sequential_id", p).value_or(0);
    out.fees_amount_cents = r.integer(inv, "fees_amount_cents", p).value_or(0);
    out.coupons_amount_cents = r.integer(inv, "coupons_amount_cents", p).value_or(0);
    if (const nlohmann::json* subs = r.array(inv, "invoice_subscriptions", p)) {
      for (size_t k = 0; k < subs->size(); ++k) {
        const nlohmann::json& is = (*subs)[k];
        if (!is.is_object()) continue;
        const std::string q = Reader::at(Reader::at(p, "invoice_subscriptions"), k);
        out.subscriptions.emplace_back(r.string(is, "external_subscription_id", q).value_or(""),
                                       r.string(is, "plan_code", q).value_or(""));
        if (k == 0) {
          out.charges_from = r.instant(is, "charges_from_datetime", q);
          out.charges_to = r.instant(is, "charges_to_datetime", q);
        }
      }
    }
    if (const nlohmann::json* fees = Reader::field(inv, "fees"); fees && fees->is_array()) {
      for (const auto& f : *fees) {
        if (!f.is_object()) continue;
        const nlohmann::json* item = Reader::field(f, "item");
        if (!item || !item->is_object()) continue;
        const nlohmann::json* type = Reader::field(*item, "type");
        if (!type || !type->is_string() || type->get_ref<const std::string&>() != "charge") continue;
        IssuedChargeFee c;
        if (const auto* e = Reader::field(f, "external_subscription_id"); e && e->is_string()) c.external_subscription_id = *e;
        const nlohmann::json* charge = Reader::field(f, "lago_charge_id");
        const nlohmann::json* code = Reader::field(*item, "code");
        if (charge && charge->is_string()) c.charge_key = *charge;
        else if (code && code->is_string()) c.charge_key = *code;
        const nlohmann::json* filters = Reader::field(*item, "filters");
        c.filter_key = filters ? filters->dump() : "null";
        const nlohmann::json* groups = Reader::field(*item, "grouped_by");
        c.group_key = groups && !groups->empty() ? groups->dump() : "{}";
        if (const auto* a = Reader::field(f, "amount_cents"); a && a->is_number_integer()) c.amount_cents = a->get<int64_t>();
        out.charge_fees.push_back(std::move(c));
      }
    }
    if (const nlohmann::json* credits = r.array(inv, "credits", p)) {
      for (size_t k = 0; k < credits->size(); ++k) {
        const nlohmann::json& c = (*credits)[k];
        const nlohmann::json* item = c.is_object() ? Reader::field(c, "item") : nullptr;
        if (!item || !item->is_object()) continue;
        const nlohmann::json* type = Reader::field(*item, "type");
        if (!type || !type->is_string() || type->get_ref<const std::string&>() != "invoice") continue;
        const std::string q = Reader::at(Reader::at(p, "credits"), k);
        IssuedProgressiveCredit pc;
        pc.progressive_invoice_id = r.string(*item, "lago_item_id", Reader::at(q, "item")).value_or("");
        pc.amount_cents = r.integer(c, "amount_cents", q, true).value_or(0);
        out.progressive_credits.push_back(std::move(pc));
      }
    }
    if (const nlohmann::json* applied = r.array(inv, "applied_usage_thresholds", p)) {
      for (size_t k = 0; k < applied->size(); ++k) {
        const nlohmann::json& a = (*applied)[k];
        if (!a.is_object()) continue;
        const std::string q = Reader::at(Reader::at(p, "applied_usage_thresholds"), k);
        IssuedAppliedThreshold t;
        t.lifetime_usage_amount_cents = r.integer(a, "lifetime_usage_amount_cents", q).value_or(0);
        t.created_at = r.string(a, "created_at", q).value_or("");
        if (const nlohmann::json* u = r.object(a, "usage_threshold", q)) {
          const std::string uq = Reader::at(q, "usage_threshold");
          t.threshold_id = r.string(*u, "lago_id", uq).value_or("");
          t.amount_cents = r.integer(*u, "amount_cents", uq).value_or(0);
          t.recurring = r.boolean(*u, "recurring", uq, false);
        }
        out.applied_thresholds.push_back(std::move(t));
      }
    }
    s.issued_invoices.push_back(std::move(out));
  }
}

}  // namespace tariff
