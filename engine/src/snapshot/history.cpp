// snapshot.invoices[] → Snapshot::billed_fees (see history.hpp). Every invoice may carry
// `status` and `fees`; each fee needs external_subscription_id, item.type, from_date, to_date and
// amount_cents; the rest has Lago's defaults. A wrong type is refused under its path.
#include "snapshot/inputs.hpp"
#include "snapshot/reader.hpp"
#include "snapshot/snapshot.hpp"

namespace tariff {

void parse_history(const nlohmann::json& doc, Snapshot& s, Reader& r) {
  const nlohmann::json* invoices = r.array(doc, "invoices", "");
  if (!invoices) return;
  for (size_t i = 0; i < invoices->size(); ++i) {
    const nlohmann::json& inv = (*invoices)[i];
    const std::string p = Reader::at("invoices", i);
    if (!inv.is_object()) {
      r.add(p, "value_is_invalid");
      continue;
    }
    const bool voided = r.string(inv, "status", p).value_or("finalized") == "voided";
    const nlohmann::json* fees = r.array(inv, "fees", p);
    if (!fees) continue;
    for (size_t j = 0; j < fees->size(); ++j) {
      const nlohmann::json& f = (*fees)[j];
      const std::string q = Reader::at(Reader::at(p, "fees"), j);
      if (!f.is_object()) {
        r.add(q, "value_is_invalid");
        continue;
      }
      BilledFee b;
      b.voided = voided;
      b.external_subscription_id = r.string(f, "external_subscription_id", q, true).value_or("");
      if (const nlohmann::json* item = r.object(f, "item", q, true)) {
        b.fee_type = r.string(*item, "type", Reader::at(q, "item"), true).value_or("");
        b.plan_code = r.string(*item, "code", Reader::at(q, "item")).value_or("");
      }
      b.pay_in_advance = r.boolean(f, "pay_in_advance", q, false);
      b.from = r.instant(f, "from_date", q, true).value_or(Instant{});
      b.to = r.instant(f, "to_date", q, true).value_or(Instant{});
      b.amount_cents = r.integer(f, "amount_cents", q, true).value_or(0);
      b.precise_amount = r.decimal(f, "precise_amount", q);
      b.precise_coupons_amount_cents = r.decimal(f, "precise_coupons_amount_cents", q).value_or(Decimal());
      // A JSON number, as the Fee serializer prints it (rate_json), or a decimal string.
      if (const nlohmann::json* t = Reader::field(f, "taxes_rate")) {
        const auto rate = t->is_number() ? Decimal::parse(t->dump()) : decimal_from_json(*t);
        if (rate) b.taxes_rate = *rate;
        else r.add(Reader::at(q, "taxes_rate"), "value_is_invalid");
      }
      if (const nlohmann::json* d = Reader::field(f, "amount_details"); d && d->is_object())
        b.plan_amount_cents = r.integer(*d, "plan_amount_cents", Reader::at(q, "amount_details"));
      b.order = s.billed_fees.size();
      s.billed_fees.push_back(std::move(b));
    }
  }
}

}  // namespace tariff
