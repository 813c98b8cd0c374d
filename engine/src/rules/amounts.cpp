// Amounts the server keeps for what billing issued: a wallet's credits in money, and the sums
// of Lago's past usage. The server stores them; the arithmetic is the engine's (exact decimals,
// checked integer sums).
#include "tariff/currency.hpp"
#include "tariff/rules.hpp"

namespace tariff::rules {

namespace {

template <class T>
Checked<T> refused(const char* path) {
  Checked<T> c;
  c.error = Error::validation(path, "value_is_invalid");
  return c;
}

bool add(int64_t& into, int64_t v) { return !__builtin_add_overflow(into, v, &into); }

std::optional<int64_t> int_field(const nlohmann::json& o, const char* k) {
  auto it = o.find(k);
  if (it == o.end() || it->is_null()) return int64_t{0};
  if (it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;
}

std::optional<Decimal> dec_field(const nlohmann::json& o, const char* k) {
  auto it = o.find(k);
  if (it == o.end() || it->is_null()) return Decimal();
  if (it->is_string()) return Decimal::parse(it->get<std::string>());
  if (it->is_number_integer()) return Decimal::parse(it->dump());
  return std::nullopt;
}

}  // namespace

Checked<WalletAmount> wallet_amount(const Decimal& credits, const Decimal& rate_amount, std::string_view currency) {
  const auto cur = find_currency(currency);
  if (!cur) return refused<WalletAmount>("currency");
  try {
    WalletAmount w;
    w.amount = credits * rate_amount;
    w.amount_cents = cur->to_cents_rounded(w.amount).to_int64();
    return {w, {}};
  } catch (const std::exception&) {  // beyond the exact range or int64 cents
    Checked<WalletAmount> c;
    c.error = Error::validation("base", "value_out_of_range");
    return c;
  }
}

Checked<PastUsageSums> past_usage_sums(const nlohmann::json& fees) {
  if (!fees.is_array()) return refused<PastUsageSums>("fees");
  PastUsageSums out;
  try {
    for (size_t i = 0; i < fees.size(); ++i) {
      const auto& f = fees[i];
      if (!f.is_object()) return refused<PastUsageSums>("fees");
      const auto amount = int_field(f, "amount_cents"), taxes = int_field(f, "taxes_amount_cents"),
                 count = int_field(f, "events_count");
      const auto units = dec_field(f, "units"), total = dec_field(f, "total_aggregated_units");
      if (!amount || !taxes || !count || !units || !total) return refused<PastUsageSums>("fees");
      if (!add(out.amount_cents, *amount) || !add(out.taxes_amount_cents, *taxes)) return refused<PastUsageSums>("fees");
      const nlohmann::json id = f.contains("lago_charge_id") ? f["lago_charge_id"] : nlohmann::json(nullptr);
      ChargeUsageSum* g = nullptr;
      for (auto& c : out.charges)
        if (c.lago_charge_id == id) g = &c;
      if (!g) {
        out.charges.push_back(ChargeUsageSum{id, i, Decimal(), Decimal(), 0, 0});
        g = &out.charges.back();
      }
      g->units = g->units + *units;
      g->total_aggregated_units = g->total_aggregated_units + *total;
      if (!add(g->events_count, *count) || !add(g->amount_cents, *amount)) return refused<PastUsageSums>("fees");
    }
    out.total_amount_cents = out.amount_cents;
    if (!add(out.total_amount_cents, out.taxes_amount_cents)) return refused<PastUsageSums>("fees");
  } catch (const std::exception&) {
    return refused<PastUsageSums>("fees");
  }
  return {out, {}};
}

}  // namespace tariff::rules
