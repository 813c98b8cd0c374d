// Snapshot parsing: catalog first (taxes, metrics, plans), then the customer, subscriptions
// and events, resolving codes as it goes. Every problem is collected; one 422 at the end.
#include "snapshot/snapshot.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include "snapshot/reader.hpp"
#include "snapshot/aggregates.hpp"
#include "tariff/error.hpp"
#include "tariff/ids.hpp"

namespace tariff {
namespace {

constexpr size_t kMaxCatalogItems = 10000;

std::optional<Aggregation> parse_aggregation(const std::string& s) {
  if (s == "count_agg") return Aggregation::count_agg;
  if (s == "sum_agg") return Aggregation::sum_agg;
  if (s == "max_agg") return Aggregation::max_agg;
  if (s == "unique_count_agg") return Aggregation::unique_count_agg;
  if (s == "weighted_sum_agg") return Aggregation::weighted_sum_agg;
  if (s == "latest_agg") return Aggregation::latest_agg;
  return std::nullopt;
}

class Parser {
 public:
  Parser(Snapshot& s, json& doc, RequestKind kind) : s_(s), doc_(doc), kind_(kind), r_(errors_) {}

  void run() {
    json& d = doc_;
    s_.now = r_.instant(d, "now", "", true).value_or(Instant{});
    parse_taxes(d);
    parse_organization(d);
    parse_metrics(d);
    parse_plans(d);
    parse_customer(d);
    parse_subscriptions(d);
    parse_events(d);
    if (r_.has(d, "request") && !d.at("request").is_object()) r_.add("request", "value_is_invalid");
    parse_inputs(d, s_, kind_, r_);
    parse_history(d, s_, r_);
    parse_issued_invoices(d, s_, r_);
    errors_.throw_if_any();
  }

 private:
  Snapshot& s_;
  json& doc_;  // events' properties are moved out of it
  RequestKind kind_;
  ErrorCollector errors_;
  Reader r_;

  template <class T>
  bool bounded(const json* arr, const std::string& path, size_t limit = kMaxCatalogItems) {
    if (arr && arr->size() > limit) {
      r_.add(path, "too_many_items");
      return false;
    }
    return arr != nullptr;
  }

  const Tax* find_tax(const std::string& code) const {
    for (const auto& t : s_.taxes)
      if (t.code == code) return &t;
    return nullptr;
  }

  // tax_codes (array of codes) or taxes (array of Tax objects or codes) → the list.
  std::optional<TaxList> parse_tax_refs(const json& o, const std::string& path) {
    std::optional<TaxList> out;
    for (const char* key : {"tax_codes", "taxes"}) {
      if (!r_.has(o, key)) continue;
      const json* arr = r_.array(o, key, path);
      if (!arr) continue;
      TaxList list;
      for (size_t i = 0; i < arr->size(); ++i) {
        const json& t = (*arr)[i];
        std::string code;
        if (t.is_string()) code = t.get<std::string>();
        else if (t.is_object() && t.contains("code") && t["code"].is_string()) code = t["code"].get<std::string>();
        else {
          r_.add(Reader::at(Reader::at(path, key), i), "value_is_invalid");
          continue;
        }
        const Tax* tax = find_tax(code);
        if (!tax) r_.add(Reader::at(Reader::at(path, key), i), "tax_not_found");
        else if (std::find(list.begin(), list.end(), tax) == list.end()) list.push_back(tax);
      }
      if (!out) out = TaxList{};
      for (const Tax* t : list)
        if (std::find(out->begin(), out->end(), t) == out->end()) out->push_back(t);
    }
    if (out && out->empty()) return std::nullopt;  // an empty level does not win (§8)
    return out;
  }

  std::optional<Currency> currency(const json& o, const char* key, const std::string& path, bool required) {
    auto code = r_.string(o, key, path, required);
    if (!code) return std::nullopt;
    auto c = find_currency(*code);
    if (!c) r_.add(Reader::at(path, key), "value_is_invalid");
    return c;
  }

  std::optional<TimeZone> timezone(const json& o, const char* key, const std::string& path) {
    auto name = r_.string(o, key, path);
    if (!name) return std::nullopt;
    auto tz = TimeZone::find(*name);
    if (!tz) r_.add(Reader::at(path, key), "invalid_timezone");
    return tz;
  }

  // Lago: numericality ≥ 0; bounded here so that due dates stay in range (100 years).
  std::optional<int> net_payment_term(const json& o, const std::string& path) {
    auto n = r_.integer(o, "net_payment_term", path);
    if (!n) return std::nullopt;
    if (*n < 0 || *n > 36500) {
      r_.add(Reader::at(path, "net_payment_term"), "value_is_out_of_range");
      return std::nullopt;
    }
    return static_cast<int>(*n);
  }

  void parse_taxes(const json& d) {
    const json* arr = r_.array(d, "taxes", "");
    if (!bounded<Tax>(arr, "taxes")) return;
    s_.taxes.reserve(arr->size());
    std::set<std::string> seen;
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Reader::at("taxes", i);
      const json& t = (*arr)[i];
      if (!t.is_object()) { r_.add(p, "value_is_invalid"); continue; }
      Tax tax;
      tax.code = r_.string(t, "code", p, true).value_or("");
      tax.name = r_.string(t, "name", p).value_or(tax.code);
      tax.lago_id = r_.string(t, "lago_id", p).value_or("");
      auto rate = r_.decimal(t, "rate", p, true);
      if (rate && (rate->is_negative() || *rate > Decimal(1000))) r_.add(Reader::at(p, "rate"), "value_is_invalid");
      tax.rate = rate.value_or(Decimal());
      tax.applied_to_organization = r_.boolean(t, "applied_to_organization", p, false);
      if (!tax.code.empty() && !seen.insert(tax.code).second) r_.add(Reader::at(p, "code"), "value_already_exist");
      s_.taxes.push_back(std::move(tax));
    }
  }

  void parse_organization(const json& d) {
    static const json kEmpty = json::object();
    const json* o = r_.object(d, "organization", "");
    const json& org = o ? *o : kEmpty;
    s_.organization.timezone = timezone(org, "timezone", "organization").value_or(TimeZone::utc());
    s_.organization.default_currency = currency(org, "default_currency", "organization", false);
    const BillingSettings billing = parse_billing_settings(org, "organization", r_);
    s_.organization.invoice_grace_period = billing.invoice_grace_period.value_or(0);
    if (billing.anchor) s_.organization.issuing_date_anchor = *billing.anchor;
    if (billing.adjustment) s_.organization.issuing_date_adjustment = *billing.adjustment;
    s_.organization.net_payment_term = net_payment_term(org, "organization").value_or(0);
    for (const auto& t : s_.taxes)
      if (t.applied_to_organization) s_.organization.taxes.push_back(&t);
    if (auto listed = parse_tax_refs(org, "organization"))
      for (const Tax* t : *listed)
        if (std::find(s_.organization.taxes.begin(), s_.organization.taxes.end(), t) == s_.organization.taxes.end())
          s_.organization.taxes.push_back(t);
  }

  void parse_metrics(const json& d) {
    const json* arr = r_.array(d, "billable_metrics", "");
    if (!bounded<BillableMetric>(arr, "billable_metrics")) return;
    s_.billable_metrics.reserve(arr->size());
    std::set<std::string> seen;
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Reader::at("billable_metrics", i);
      const json& m = (*arr)[i];
      BillableMetric bm;
      if (!m.is_object()) { r_.add(p, "value_is_invalid"); s_.billable_metrics.push_back(bm); continue; }
      bm.code = r_.string(m, "code", p, true).value_or("");
      bm.name = r_.string(m, "name", p).value_or(bm.code);
      bm.lago_id = r_.string(m, "lago_id", p).value_or("");
      if (!bm.code.empty() && !seen.insert(bm.code).second) r_.add(Reader::at(p, "code"), "value_already_exist");
      auto agg = r_.string(m, "aggregation_type", p, true);
      if (agg) {
        if (*agg == "custom_agg") r_.add(Reader::at(p, "aggregation_type"), "not_supported");
        else if (auto a = parse_aggregation(*agg)) bm.aggregation = *a;
        else r_.add(Reader::at(p, "aggregation_type"), "value_is_invalid");
      }
      bm.field_name = r_.string(m, "field_name", p).value_or("");
      if (bm.aggregation != Aggregation::count_agg && bm.field_name.empty() && agg && parse_aggregation(*agg))
        r_.add(Reader::at(p, "field_name"), "value_is_mandatory");
      bm.recurring = r_.boolean(m, "recurring", p, false);
      if (bm.recurring && (bm.aggregation == Aggregation::max_agg || bm.aggregation == Aggregation::latest_agg ||
                           bm.aggregation == Aggregation::count_agg))
        r_.add(Reader::at(p, "recurring"), "not_compatible_with_aggregation_type");
      if (auto wi = r_.string(m, "weighted_interval", p); wi && *wi != "seconds")
        r_.add(Reader::at(p, "weighted_interval"), "value_is_invalid");
      if (auto ex = r_.string(m, "expression", p); ex && !ex->empty()) {
        try {
          bm.expression = std::make_shared<const expr::Expression>(expr::Expression::parse(*ex));
          bm.expression_source = *ex;
        } catch (const std::exception&) {
          r_.add(Reader::at(p, "expression"), "invalid_expression");
        }
      }
      if (auto rf = r_.string(m, "rounding_function", p)) {
        if (*rf == "round") bm.rounding = RoundingMode::half_up;
        else if (*rf == "ceil") bm.rounding = RoundingMode::ceil;
        else if (*rf == "floor") bm.rounding = RoundingMode::floor;
        else r_.add(Reader::at(p, "rounding_function"), "value_is_invalid");
      }
      if (auto rp = r_.integer(m, "rounding_precision", p)) {
        if (*rp < -15 || *rp > 15) r_.add(Reader::at(p, "rounding_precision"), "value_is_invalid");
        else bm.rounding_precision = static_cast<int>(*rp);
      }
      if (const json* fs = r_.array(m, "filters", p)) {
        for (size_t k = 0; k < fs->size(); ++k) {
          const std::string fp = Reader::at(Reader::at(p, "filters"), k);
          const json& f = (*fs)[k];
          MetricFilter mf;
          mf.key = r_.string(f, "key", fp, true).value_or("");
          if (const json* vs = r_.array(f, "values", fp, true))
            for (size_t v = 0; v < vs->size(); ++v) {
              if ((*vs)[v].is_string()) mf.values.push_back((*vs)[v].get<std::string>());
              else r_.add(Reader::at(Reader::at(fp, "values"), v), "value_is_invalid");
            }
          bm.filters.push_back(std::move(mf));
        }
      }
      s_.billable_metrics.push_back(std::move(bm));
    }
  }

  std::vector<std::string> group_keys(const json& props, const std::string& path) {
    if (Reader::has(props, "pricing_group_keys")) return r_.strings(props, "pricing_group_keys", path);
    if (Reader::has(props, "grouped_by")) return r_.strings(props, "grouped_by", path);
    return {};
  }

  ChargeProperties properties(ChargeModel model, const json& c, const std::string& p) {
    static const json kEmpty = json::object();
    const json* props = r_.object(c, "properties", p);
    return parse_charge_properties(model, props ? *props : kEmpty, Reader::at(p, "properties"), errors_);
  }

  void parse_charge(Charge& ch, const json& c, const std::string& p) {
    ch.lago_id = r_.string(c, "lago_id", p).value_or(r_.string(c, "id", p).value_or(""));
    auto code = r_.string(c, "billable_metric_code", p, !Reader::has(c, "billable_metric"));
    if (!code && Reader::has(c, "billable_metric") && c["billable_metric"].is_object())
      code = r_.string(c["billable_metric"], "code", Reader::at(p, "billable_metric"), true);
    if (code) {
      ch.metric = s_.find_metric(*code);
      if (!ch.metric) r_.add(Reader::at(p, "billable_metric_code"), "billable_metric_not_found");
    }
    if (auto m = r_.string(c, "charge_model", p, true)) {
      if (*m == "custom") r_.add(Reader::at(p, "charge_model"), "not_supported");
      else if (auto cm = parse_charge_model(*m)) ch.model = *cm;
      else r_.add(Reader::at(p, "charge_model"), "value_is_invalid");
    }
    ch.pay_in_advance = r_.boolean(c, "pay_in_advance", p, false);
    ch.invoiceable = r_.boolean(c, "invoiceable", p, true);
    ch.prorated = r_.boolean(c, "prorated", p, false);
    if (auto mn = r_.decimal(c, "min_amount_cents", p)) {
      if (mn->is_negative()) r_.add(Reader::at(p, "min_amount_cents"), "value_is_invalid");
      else ch.min_amount_cents = *mn;
    }
    ch.invoice_display_name = r_.string(c, "invoice_display_name", p);
    ch.properties = properties(ch.model, c, p);
    if (const json* props = r_.object(c, "properties", p)) ch.pricing_group_keys = group_keys(*props, Reader::at(p, "properties"));
    ch.taxes = parse_tax_refs(c, p);
    if (const json* pu = r_.object(c, "applied_pricing_unit", p)) {
      PricingUnit u;
      const std::string pp = Reader::at(p, "applied_pricing_unit");
      u.code = r_.string(*pu, "code", pp, true).value_or("");
      u.short_name = r_.string(*pu, "short_name", pp).value_or(u.code);
      auto rate = r_.decimal(*pu, "conversion_rate", pp, true);
      if (rate && !rate->is_positive()) r_.add(Reader::at(pp, "conversion_rate"), "value_is_invalid");
      u.conversion_rate = rate.value_or(Decimal(1));
      ch.pricing_unit = u;
    }
    if (const json* fs = r_.array(c, "filters", p)) {
      for (size_t k = 0; k < fs->size(); ++k) {
        const std::string fp = Reader::at(Reader::at(p, "filters"), k);
        const json& f = (*fs)[k];
        if (!f.is_object()) { r_.add(fp, "value_is_invalid"); continue; }
        ChargeFilter cf;
        if (auto n = r_.string(f, "invoice_display_name", fp)) { cf.invoice_display_name = *n; cf.has_display_name = true; }
        const json* vals = r_.object(f, "values", fp, true);
        if (vals) {
          for (auto it = vals->begin(); it != vals->end(); ++it) {
            std::vector<std::string> vs;
            const std::string vp = Reader::at(Reader::at(fp, "values"), it.key().c_str());
            if (it->is_string()) vs.push_back(it->get<std::string>());
            else if (it->is_array()) {
              for (const auto& v : *it)
                if (v.is_string()) vs.push_back(v.get<std::string>());
                else r_.add(vp, "value_is_invalid");
            } else r_.add(vp, "value_is_invalid");
            cf.raw_values.emplace_back(it.key(), vs);
            // The key must be one of the metric's filters (Lago: invalid_filters).
            if (ch.metric) {
              auto mf = std::find_if(ch.metric->filters.begin(), ch.metric->filters.end(),
                                     [&](const MetricFilter& x) { return x.key == it.key(); });
              if (mf == ch.metric->filters.end()) r_.add(vp, "invalid_filters");
              else if (std::find(vs.begin(), vs.end(), "__ALL_FILTER_VALUES__") != vs.end()) vs = mf->values;
            }
            cf.values.emplace_back(it.key(), std::move(vs));
          }
          if (vals->empty()) r_.add(Reader::at(fp, "values"), "value_is_mandatory");
        }
        // A filter's properties never take the model's defaults: Lago validates them as given
        // (ChargeFilter#validate_properties), so empty ones fail the model's validator
        // (standard: properties.amount invalid_amount). The marker key makes the object
        // non-empty for the property parser, which ignores unknown keys.
        static const json kGiven = json{{"__filter_properties_as_given", true}};
        const json* fprops = r_.object(f, "properties", fp);
        const json& given = fprops && !fprops->empty() ? *fprops : kGiven;
        cf.properties = parse_charge_properties(ch.model, given, Reader::at(fp, "properties"), errors_);
        cf.pricing_group_keys = fprops && (Reader::has(*fprops, "pricing_group_keys") || Reader::has(*fprops, "grouped_by"))
                                    ? group_keys(*fprops, Reader::at(fp, "properties"))
                                    : ch.pricing_group_keys;
        ch.filters.push_back(std::move(cf));
      }
    }
    if (ch.metric)
      validate_charge_model_for_metric(ch.model, aggregation_kind(ch.metric->aggregation), ch.metric->recurring,
                                       ch.pay_in_advance, ch.prorated, p, errors_);
  }

  void parse_fixed_charge(FixedCharge& fc, const json& c, const std::string& p) {
    fc.lago_id = r_.string(c, "lago_id", p).value_or(r_.string(c, "id", p).value_or(""));
    fc.add_on_code = r_.string(c, "add_on_code", p).value_or(r_.string(c, "code", p).value_or(""));
    if (Reader::has(c, "add_on") && c["add_on"].is_object()) {
      fc.add_on_code = r_.string(c["add_on"], "code", Reader::at(p, "add_on")).value_or(fc.add_on_code);
      fc.add_on_name = r_.string(c["add_on"], "name", Reader::at(p, "add_on")).value_or("");
    }
    if (fc.add_on_name.empty()) fc.add_on_name = r_.string(c, "add_on_name", p).value_or(fc.add_on_code);
    // Lago's fee item names the fixed charge's add-on; a snapshot without an add-on id (the
    // server has no add-on resource) gets the one derived from the code, as the server's plans.
    fc.add_on_id = r_.string(c, "lago_add_on_id", p).value_or("");
    if (fc.add_on_id.empty() && Reader::has(c, "add_on") && c["add_on"].is_object())
      fc.add_on_id = r_.string(c["add_on"], "lago_id", Reader::at(p, "add_on")).value_or("");
    if (fc.add_on_id.empty() && !fc.add_on_code.empty()) fc.add_on_id = derived_add_on_id(fc.add_on_code);
    fc.invoice_display_name = r_.string(c, "invoice_display_name", p);
    if (auto m = r_.string(c, "charge_model", p, true)) {
      auto cm = parse_charge_model(*m);
      if (!cm || !(*cm == ChargeModel::standard || *cm == ChargeModel::graduated || *cm == ChargeModel::volume))
        r_.add(Reader::at(p, "charge_model"), "value_is_invalid");
      else fc.model = *cm;
    }
    fc.pay_in_advance = r_.boolean(c, "pay_in_advance", p, false);
    fc.prorated = r_.boolean(c, "prorated", p, false);
    auto units = r_.decimal(c, "units", p);
    if (units && units->is_negative()) r_.add(Reader::at(p, "units"), "value_is_invalid");
    fc.units = units.value_or(Decimal(0));
    fc.properties = properties(fc.model, c, p);
    fc.taxes = parse_tax_refs(c, p);
  }

  void parse_plans(const json& d) {
    const json* arr = r_.array(d, "plans", "");
    if (!bounded<Plan>(arr, "plans")) return;
    s_.plans.resize(arr->size());
    std::set<std::string> seen;
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Reader::at("plans", i);
      const json& pl = (*arr)[i];
      if (!pl.is_object()) { r_.add(p, "value_is_invalid"); continue; }
      parse_plan_body(s_.plans[i], pl, p);
      if (!s_.plans[i].code.empty() && !seen.insert(s_.plans[i].code).second) r_.add(Reader::at(p, "code"), "value_already_exist");
    }
  }

  void parse_plan_body(Plan& plan, const json& pl, const std::string& p) {
    plan.code = r_.string(pl, "code", p, true).value_or("");
    plan.name = r_.string(pl, "name", p).value_or(plan.code);
    plan.lago_id = r_.string(pl, "lago_id", p).value_or("");
    plan.invoice_display_name = r_.string(pl, "invoice_display_name", p);
    if (auto iv = r_.string(pl, "interval", p, true)) {
      if (auto x = parse_interval(*iv)) plan.interval = *x;
      else r_.add(Reader::at(p, "interval"), "value_is_invalid");
    }
    auto amount = r_.integer(pl, "amount_cents", p, true);
    if (amount && *amount < 0) r_.add(Reader::at(p, "amount_cents"), "value_is_invalid");
    plan.amount_cents = amount.value_or(0);
    plan.currency = currency(pl, "amount_currency", p, true).value_or(*find_currency("USD"));
    plan.pay_in_advance = r_.boolean(pl, "pay_in_advance", p, false);
    auto trial = r_.decimal(pl, "trial_period", p);
    if (trial && (trial->is_negative() || *trial > Decimal(100000))) r_.add(Reader::at(p, "trial_period"), "value_is_invalid");
    plan.trial_period = trial.value_or(Decimal(0));
    plan.bill_charges_monthly = r_.boolean(pl, "bill_charges_monthly", p, false);
    plan.bill_fixed_charges_monthly = r_.boolean(pl, "bill_fixed_charges_monthly", p, false);
    plan.taxes = parse_tax_refs(pl, p);
    if (const json* cs = r_.array(pl, "charges", p); bounded<Charge>(cs, Reader::at(p, "charges"))) {
      plan.charges.resize(cs->size());
      for (size_t k = 0; k < cs->size(); ++k) {
        const std::string cp = Reader::at(Reader::at(p, "charges"), k);
        if (!(*cs)[k].is_object()) { r_.add(cp, "value_is_invalid"); continue; }
        parse_charge(plan.charges[k], (*cs)[k], cp);
      }
    }
    if (const json* fcs = r_.array(pl, "fixed_charges", p); bounded<FixedCharge>(fcs, Reader::at(p, "fixed_charges"))) {
      plan.fixed_charges.resize(fcs->size());
      for (size_t k = 0; k < fcs->size(); ++k) {
        const std::string cp = Reader::at(Reader::at(p, "fixed_charges"), k);
        if (!(*fcs)[k].is_object()) { r_.add(cp, "value_is_invalid"); continue; }
        parse_fixed_charge(plan.fixed_charges[k], (*fcs)[k], cp);
      }
    }
    if (const json* mc = r_.object(pl, "minimum_commitment", p)) {
      MinimumCommitment m;
      const std::string mp = Reader::at(p, "minimum_commitment");
      auto a = r_.integer(*mc, "amount_cents", mp, true);
      if (a && *a < 0) r_.add(Reader::at(mp, "amount_cents"), "value_is_invalid");
      m.amount_cents = a.value_or(0);
      m.invoice_display_name = r_.string(*mc, "invoice_display_name", mp);
      m.taxes = parse_tax_refs(*mc, mp);
      plan.minimum_commitment = m;
    }
    plan.usage_thresholds = parse_usage_thresholds(pl, p, r_);
  }

  void parse_customer(const json& d) {
    const json* c = r_.object(d, "customer", "");
    if (!c) return;
    Customer cu;
    cu.external_id = r_.string(*c, "external_id", "customer").value_or("");
    cu.name = r_.string(*c, "name", "customer").value_or("");
    cu.lago_id = r_.string(*c, "lago_id", "customer").value_or("");
    cu.currency = currency(*c, "currency", "customer", false);
    cu.timezone = timezone(*c, "timezone", "customer");
    cu.taxes = parse_tax_refs(*c, "customer");
    const BillingSettings billing = parse_billing_settings(*c, "customer", r_);
    cu.invoice_grace_period = billing.invoice_grace_period;
    cu.issuing_date_anchor = billing.anchor;
    cu.issuing_date_adjustment = billing.adjustment;
    cu.net_payment_term = net_payment_term(*c, "customer");
    s_.customer = std::move(cu);
  }

  // plan_overrides (§15): replace plan fields first; charges are matched by id / lago_id.
  const Plan* apply_overrides(const Plan* base, const json& ov, const std::string& p) {
    auto plan = std::make_unique<Plan>(*base);
    if (auto a = r_.integer(ov, "amount_cents", p)) plan->amount_cents = *a;
    if (auto t = r_.decimal(ov, "trial_period", p)) plan->trial_period = *t;
    if (auto n = r_.string(ov, "invoice_display_name", p)) plan->invoice_display_name = n;
    if (Reader::has(ov, "tax_codes") || Reader::has(ov, "taxes")) plan->taxes = parse_tax_refs(ov, p);
    if (const json* mc = r_.object(ov, "minimum_commitment", p)) {
      MinimumCommitment m = plan->minimum_commitment.value_or(MinimumCommitment{});
      if (auto a = r_.integer(*mc, "amount_cents", Reader::at(p, "minimum_commitment"))) m.amount_cents = *a;
      if (auto n = r_.string(*mc, "invoice_display_name", Reader::at(p, "minimum_commitment"))) m.invoice_display_name = n;
      plan->minimum_commitment = m;
    }
    if (const json* cs = r_.array(ov, "charges", p)) {
      for (size_t k = 0; k < cs->size(); ++k) {
        const json& co = (*cs)[k];
        const std::string cp = Reader::at(Reader::at(p, "charges"), k);
        std::string id = r_.string(co, "id", cp).value_or(r_.string(co, "lago_id", cp).value_or(""));
        auto it = std::find_if(plan->charges.begin(), plan->charges.end(), [&](const Charge& c) { return !id.empty() && c.lago_id == id; });
        if (it == plan->charges.end()) { r_.add(Reader::at(cp, "id"), "charge_not_found"); continue; }
        json merged = json::object();
        merged["lago_id"] = it->lago_id;
        merged["billable_metric_code"] = it->metric ? it->metric->code : "";
        merged["charge_model"] = charge_model_name(it->model);
        for (auto f = co.begin(); f != co.end(); ++f) merged[f.key()] = f.value();
        Charge replaced = *it;
        if (Reader::has(co, "properties")) replaced.properties = properties(replaced.model, merged, cp);
        if (auto mn = r_.decimal(co, "min_amount_cents", cp)) replaced.min_amount_cents = *mn;
        if (auto n = r_.string(co, "invoice_display_name", cp)) replaced.invoice_display_name = n;
        if (Reader::has(co, "tax_codes") || Reader::has(co, "taxes")) replaced.taxes = parse_tax_refs(co, cp);
        if (Reader::has(co, "filters")) {
          Charge tmp;
          parse_charge(tmp, merged, cp);
          replaced.filters = tmp.filters;
        }
        *it = std::move(replaced);
      }
    }
    s_.overridden_plans.push_back(std::move(plan));
    return s_.overridden_plans.back().get();
  }

  void parse_subscriptions(const json& d) {
    const json* arr = r_.array(d, "subscriptions", "");
    if (!bounded<Subscription>(arr, "subscriptions")) return;
    s_.subscriptions.reserve(arr->size());
    for (size_t i = 0; i < arr->size(); ++i) {
      const std::string p = Reader::at("subscriptions", i);
      const json& so = (*arr)[i];
      Subscription sub;
      if (!so.is_object()) { r_.add(p, "value_is_invalid"); continue; }
      sub.external_id = r_.string(so, "external_id", p, true).value_or("");
      sub.lago_id = r_.string(so, "lago_id", p).value_or("");
      sub.name = r_.string(so, "name", p).value_or("");
      sub.plan_code = r_.string(so, "plan_code", p, true).value_or("");
      if (!sub.plan_code.empty()) {
        sub.plan = s_.find_plan(sub.plan_code);
        if (!sub.plan) r_.add(Reader::at(p, "plan_code"), "plan_not_found");
      }
      if (auto bt = r_.string(so, "billing_time", p)) {
        if (auto x = parse_billing_time(*bt)) sub.billing_time = *x;
        else r_.add(Reader::at(p, "billing_time"), "value_is_invalid");
      }
      if (auto st = r_.string(so, "status", p)) {
        if (*st == "active") sub.status = SubscriptionStatus::active;
        else if (*st == "pending") sub.status = SubscriptionStatus::pending;
        else if (*st == "terminated") sub.status = SubscriptionStatus::terminated;
        else if (*st == "canceled") sub.status = SubscriptionStatus::canceled;
        else r_.add(Reader::at(p, "status"), "value_is_invalid");
      }
      sub.started_at = r_.instant(so, "started_at", p);
      sub.subscription_at = r_.instant(so, "subscription_at", p).value_or(sub.started_at.value_or(s_.now));
      if (!sub.started_at && sub.status == SubscriptionStatus::active) sub.started_at = sub.subscription_at;
      sub.ending_at = r_.instant(so, "ending_at", p);
      sub.terminated_at = r_.instant(so, "terminated_at", p);
      sub.created_at = r_.instant(so, "created_at", p);
      sub.previous_plan_code = r_.string(so, "previous_plan_code", p).value_or("");
      sub.next_plan_code = r_.string(so, "next_plan_code", p).value_or("");
      if (!Reader::has(so, "status") && sub.terminated_at) sub.status = SubscriptionStatus::terminated;
      if (sub.started_at && sub.terminated_at && *sub.terminated_at < *sub.started_at)
        r_.add(Reader::at(p, "terminated_at"), "invalid_date");
      if (sub.plan) {
        if (const json* ov = r_.object(so, "plan_overrides", p)) sub.plan = apply_overrides(sub.plan, *ov, Reader::at(p, "plan_overrides"));
      }
      parse_subscription_progressive(sub, so, p, r_);
      s_.subscriptions.push_back(std::move(sub));
    }
  }

  void parse_events(json& d) {
    parse_snapshot_events(d, s_, r_);
    parse_usage_aggregates(d, s_, r_);  // snapshot/aggregates.cpp
  }

 public:
  // reparse_plans(): the plans at `changed` read again from the document, the others kept,
  // then the subscriptions resolved against them, as run() reads the same document.
  void reparse_plans(const std::vector<size_t>& changed) {
    json& d = doc_;
    const json* arr = r_.array(d, "plans", "");
    if (!bounded<Plan>(arr, "plans")) {
      errors_.throw_if_any();
      return;
    }
    std::vector<Plan> plans(arr->size());
    for (size_t i = 0; i < arr->size(); ++i) {
      const bool again = i >= s_.plans.size() || std::find(changed.begin(), changed.end(), i) != changed.end();
      if (!again) {
        plans[i] = std::move(s_.plans[i]);
        continue;
      }
      const std::string p = Reader::at("plans", i);
      const json& pl = (*arr)[i];
      if (!pl.is_object()) { r_.add(p, "value_is_invalid"); continue; }
      parse_plan_body(plans[i], pl, p);
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < plans.size(); ++i)
      if (!plans[i].code.empty() && !seen.insert(plans[i].code).second)
        r_.add(Reader::at(Reader::at("plans", i), "code"), "value_already_exist");
    s_.plans = std::move(plans);
    s_.overridden_plans.clear();
    s_.subscriptions.clear();
    parse_subscriptions(d);
    errors_.throw_if_any();
  }
};

}  // namespace

AggregationKind aggregation_kind(Aggregation a) {
  switch (a) {
    case Aggregation::count_agg: return AggregationKind::count;
    case Aggregation::sum_agg: return AggregationKind::sum;
    case Aggregation::unique_count_agg: return AggregationKind::unique_count;
    case Aggregation::max_agg: return AggregationKind::max;
    case Aggregation::latest_agg: return AggregationKind::latest;
    case Aggregation::weighted_sum_agg: return AggregationKind::weighted_sum;
  }
  return AggregationKind::count;
}

const char* aggregation_name(Aggregation a) {
  switch (a) {
    case Aggregation::count_agg: return "count_agg";
    case Aggregation::sum_agg: return "sum_agg";
    case Aggregation::max_agg: return "max_agg";
    case Aggregation::unique_count_agg: return "unique_count_agg";
    case Aggregation::weighted_sum_agg: return "weighted_sum_agg";
    case Aggregation::latest_agg: return "latest_agg";
  }
  return "count_agg";
}

const json& Snapshot::request() const {
  static const json kEmpty = json::object();
  if (raw.is_object() && raw.contains("request") && raw["request"].is_object()) return raw["request"];
  return kEmpty;
}

const Plan* Snapshot::find_plan(const std::string& code) const {
  for (const auto& p : plans)
    if (p.code == code) return &p;
  return nullptr;
}

const Subscription* Snapshot::find_subscription(const std::string& external_id) const {
  // Several rows may share an external id (an upgrade chain): prefer the active one.
  const Subscription* found = nullptr;
  for (const auto& s : subscriptions) {
    if (s.external_id != external_id) continue;
    if (s.status == SubscriptionStatus::active) return &s;
    if (!found) found = &s;
  }
  return found;
}

const BillableMetric* Snapshot::find_metric(std::string_view code) const {
  for (const auto& m : billable_metrics)
    if (m.code == code) return &m;
  return nullptr;
}

const TimeZone& Snapshot::timezone() const {
  if (customer && customer->timezone) return *customer->timezone;
  return organization.timezone;
}

const Coupon* Snapshot::find_coupon(const std::string& code) const {
  for (const auto& c : coupons)
    if (c.code == code) return &c;
  return nullptr;
}

const Subscription* Snapshot::next_subscription(const Subscription& sub) const {
  if (sub.external_id.empty() || sub.status != SubscriptionStatus::active) return nullptr;
  for (const auto& o : subscriptions) {
    if (&o == &sub || o.external_id != sub.external_id || o.status != SubscriptionStatus::pending || !o.plan) continue;
    const bool linked = (!sub.next_plan_code.empty() && sub.next_plan_code == o.plan_code) ||
                        (!o.previous_plan_code.empty() && o.previous_plan_code == sub.plan_code);
    // Lago keeps one live subscription per external id: a pending one beside an active one is
    // its successor even when the snapshot does not spell the link.
    const bool unlinked = sub.next_plan_code.empty() && o.previous_plan_code.empty();
    if (linked || unlinked) return &o;
  }
  return nullptr;
}

void reparse_plans(Snapshot& s, json& doc, const std::vector<size_t>& changed) {
  Parser(s, doc, RequestKind::none).reparse_plans(changed);
}

Snapshot parse_snapshot(json& doc, RequestKind kind) {
  Snapshot s;
  Parser(s, doc, kind).run();
  // Keep the request as given (operations not yet typed read it); the rest is parsed above.
  s.raw = json::object();
  if (doc.is_object())
    if (auto it = doc.find("request"); it != doc.end()) s.raw["request"] = std::move(*it);
  // request.explain (docs/explain.md): a boolean, or absent / null.
  const json& req = s.request();
  if (auto e = req.find("explain"); e != req.end() && !e->is_null()) {
    if (!e->is_boolean()) throw Failure(Error::validation("request.explain", "invalid_type"));
    s.explain = e->get<bool>();
  }
  return s;
}

}  // namespace tariff
