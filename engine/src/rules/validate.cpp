// Validation at write time (tariff/rules.hpp). Two layers, in this order of precedence:
//
//   1. Lago's model validations that no calculation needs, with Lago's codes (its
//      app/models/*.rb and config/locales/en.yml: blank → value_is_mandatory, too_long →
//      value_is_too_long, greater_than → value_is_out_of_range, inclusion → value_is_invalid):
//      a metric's, plan's or tax's name, a plan's amount, a customer's name ≤ 255 characters, customer metadata (≤ 5
//      entries, key ≤ 20, value ≤ 100), the invoice footer ≤ 600, grace period and payment
//      term ≥ 0 (customer, organization), a coupon's name and expiration, an event's
//      timestamp (invalid_format). Coupons and wallets are otherwise the snapshot parser's
//      (snapshot/inputs.cpp), in layer 2.
//   2. The snapshot parser itself, over a snapshot holding the object and the context it
//      refers to: whatever a calculation would refuse about the object is refused now, with
//      the parser's codes and the path relative to the object. For events, also the
//      aggregation's reading of the value each metric of that code aggregates (a numeric value
//      beyond Decimal's range fails every calculation of the period), and its metric's
//      expression, which must evaluate on it (expression_evaluation_failed, as Lago).
//
// A path already refused by layer 1 keeps Lago's code alone.
#include <algorithm>

#include "metering/aggregation.hpp"
#include "snapshot/reader.hpp"
#include "snapshot/snapshot.hpp"
#include "tariff/currency.hpp"
#include "tariff/rules.hpp"

namespace tariff::rules {
namespace {

using json = nlohmann::json;

struct Section {
  const char* key;
  bool array;  // a list in the snapshot ("plans"), or one object ("customer")
};

Section section_of(Resource r) {
  switch (r) {
    case Resource::billable_metric: return {"billable_metrics", true};
    case Resource::tax: return {"taxes", true};
    case Resource::plan: return {"plans", true};
    case Resource::coupon: return {"coupons", true};
    case Resource::organization: return {"organization", false};
    case Resource::customer: return {"customer", false};
    case Resource::subscription: return {"subscriptions", true};
    case Resource::wallet: return {"wallets", true};
    case Resource::event: return {"events", true};
  }
  return {"", true};
}

// Characters (code points) of UTF-8 text, as Ruby's String#length counts them.
size_t characters(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

const json* member(const json& o, const char* key) { return Reader::field(o, key); }

// Rails' presence: absent, null, or a string of only whitespace.
bool blank(const json* v) {
  if (!v) return true;
  if (!v->is_string()) return false;
  const auto& s = v->get_ref<const std::string&>();
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

class ModelChecks {
 public:
  explicit ModelChecks(Details& d) : d_(d) {}

  void add(const std::string& path, const char* code) { d_[path].push_back(code); }

  void present(const json& o, const char* key) {
    if (blank(member(o, key))) add(key, "value_is_mandatory");
  }
  void max_length(const json& o, const char* key, size_t max, const std::string& path) {
    const json* v = member(o, key);
    if (v && v->is_string() && characters(v->get_ref<const std::string&>()) > max) add(path, "value_is_too_long");
  }
  void one_of(const json& o, const char* key, std::initializer_list<const char*> allowed) {
    const json* v = member(o, key);
    if (!v) return;
    const bool ok = v->is_string() && std::any_of(allowed.begin(), allowed.end(), [&](const char* a) {
                      return v->get_ref<const std::string&>() == a;
                    });
    if (!ok) add(key, "value_is_invalid");
  }
  void currency(const json& o, const char* key) {
    const json* v = member(o, key);
    if (v && (!v->is_string() || !find_currency(v->get_ref<const std::string&>()))) add(key, "value_is_invalid");
  }
  // Lago's numericality {greater_than_or_equal_to: 0}; non-numbers are the parser's to refuse.
  void non_negative(const json& o, const char* key, const std::string& path) {
    const json* v = member(o, key);
    if (!v) return;
    auto d = decimal_from_json(*v);
    if (d && d->is_negative()) add(path, "value_is_out_of_range");
  }
  // A number > 0 (integer when `integer`): Lago's numericality {greater_than: 0}.
  void positive(const json& o, const char* key, bool integer) {
    const json* v = member(o, key);
    if (!v) return;
    auto d = decimal_from_json(*v, !integer);
    if (!d || (integer && !d->is_integer())) add(key, "value_is_invalid");
    else if (!d->is_positive()) add(key, "value_is_out_of_range");
  }

 private:
  Details& d_;
};

void lago_model_checks(Resource kind, const json& o, Details& d, Instant now) {
  ModelChecks m(d);
  switch (kind) {
    case Resource::billable_metric:
    case Resource::tax:
      m.present(o, "name");
      break;
    case Resource::plan:
      m.present(o, "name");
      m.present(o, "amount_cents");
      break;
    case Resource::customer: {
      m.max_length(o, "name", kCustomerNameMax, "name");
      m.non_negative(o, "invoice_grace_period", "invoice_grace_period");
      m.non_negative(o, "net_payment_term", "net_payment_term");
      const json* meta = member(o, "metadata");
      if (meta && meta->is_array()) {
        if (meta->size() > 5) m.add("metadata", "invalid_count");
        for (const json& e : *meta) {
          if (!e.is_object()) { m.add("metadata", "value_is_invalid"); continue; }
          // Lago answers a metadata record's own errors at the top level: {key: [...]}.
          m.present(e, "key");
          m.present(e, "value");
          m.max_length(e, "key", kMetadataKeyMax, "key");
          m.max_length(e, "value", kMetadataValueMax, "value");
        }
      } else if (meta) {
        m.add("metadata", "value_is_invalid");
      }
      break;
    }
    case Resource::organization:
      m.max_length(o, "invoice_footer", kInvoiceFooterMax, "invoice_footer");
      m.non_negative(o, "invoice_grace_period", "invoice_grace_period");
      m.non_negative(o, "net_payment_term", "net_payment_term");
      if (const json* bc = member(o, "billing_configuration"); bc && bc->is_object()) {
        m.max_length(*bc, "invoice_footer", kInvoiceFooterMax, "billing_configuration.invoice_footer");
        m.non_negative(*bc, "invoice_grace_period", "billing_configuration.invoice_grace_period");
      }
      break;
    case Resource::coupon:
      // The rest of a coupon (type, frequency, amounts, currency, rate, duration) is the
      // snapshot parser's (snapshot/inputs.cpp), read in layer 2.
      m.present(o, "name");
      m.one_of(o, "expiration", {"no_expiration", "time_limit"});
      break;
    case Resource::wallet:
      break;  // rate, currency, priority, balance: the snapshot parser's (layer 2)
    case Resource::event:
      // Lago answers an unreadable timestamp with invalid_format (Events::CreateService).
      if (const json* t = member(o, "timestamp"); t && !instant_from_json(*t)) m.add("timestamp", "invalid_format");
      break;
    case Resource::subscription:
      // Lago's Subscriptions::ValidateService#valid_ending_at?: an ending_at must be a date
      // after today and after the subscription_at day (UTC days); else invalid_date. A stored
      // terminated_at comes from it: one before the start would make the customer unreadable.
      if (const json* e = member(o, "ending_at"); e && !e->is_null()) {
        const auto end = instant_from_json(*e);
        const json* sa = member(o, "subscription_at");
        const auto start = sa && !sa->is_null() ? instant_from_json(*sa) : std::optional<Instant>(now);
        const auto day = [](Instant t) { return date::floor<date::days>(t); };
        if (!end || !start || day(*end) <= day(now) || day(*end) <= day(*start)) m.add("ending_at", "invalid_date");
      }
      break;
  }
}

// Moves the parser's details under `prefix` ("events[0]" or "customer") into `out`, relative
// to the object ("" → "base"), unless layer 1 already refused that path.
void take_parser_details(const Error& e, const std::string& prefix, const Details& lago, Details& out) {
  for (const auto& [path, codes] : e.details) {
    std::string rel;
    if (path == prefix) rel = "base";
    else if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 && path[prefix.size()] == '.')
      rel = path.substr(prefix.size() + 1);
    else continue;  // about the context, not the object
    if (lago.count(rel)) continue;
    auto& dst = out[rel];
    for (const auto& c : codes)
      if (std::find(dst.begin(), dst.end(), c) == dst.end()) dst.push_back(c);
  }
}

// Layer 2 for events: every metric of the event's code reads its value as a calculation will.
void check_event_values(const Snapshot& s, Details& out) {
  // The one event read without error but not kept: its metric's expression failed on it,
  // which Lago refuses at ingestion (Events::CalculateExpressionService).
  if (s.events.empty()) out["expression"].push_back("expression_evaluation_failed");
  for (const Event& ev : s.events) {
    for (const BillableMetric& m : s.billable_metrics) {
      if (m.code != ev.code) continue;
      AggregationWindow w;
      w.from = w.to = ev.timestamp;
      try {
        select_events(s, ev.external_subscription_id, m, w);
      } catch (const Failure& f) {
        take_parser_details(f.error, "events[0]", {}, out);
      }
    }
  }
}

Details validate_one(Resource kind, const json& object, const json& context, Instant now) {
  Details lago;
  if (object.is_object()) lago_model_checks(kind, object, lago, now);
  const Section sec = section_of(kind);
  json doc = context.is_object() ? context : json::object();
  doc["now"] = format_instant(now);
  if (sec.array) doc[sec.key] = json::array({object});
  else doc[sec.key] = object;
  const std::string prefix = sec.array ? std::string(sec.key) + "[0]" : std::string(sec.key);
  Details out = lago;
  try {
    Snapshot s = parse_snapshot(doc);
    if (kind == Resource::event) check_event_values(s, out);
  } catch (const Failure& f) {
    take_parser_details(f.error, prefix, lago, out);
  } catch (const std::exception&) {
    out["base"].push_back("value_is_invalid");
  }
  return out;
}

}  // namespace

std::vector<Details> validate(Resource kind, const nlohmann::json& objects, const nlohmann::json& context,
                              Instant now) {
  std::vector<Details> out;
  if (!objects.is_array()) return out;
  out.reserve(objects.size());
  for (const json& o : objects) out.push_back(validate_one(kind, o, context, now));
  return out;
}

}  // namespace tariff::rules
