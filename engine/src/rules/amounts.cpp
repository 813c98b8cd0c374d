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

Checked<VoidRecredit> void_recredit(const Decimal& debited_credits, const WalletState& wallet) {
  VoidRecredit r;
  r.wallet = wallet;
  if (!wallet.rate_amount.is_positive()) return refused<VoidRecredit>("rate_amount");
  const auto cur = find_currency(wallet.currency);
  if (!cur) return refused<VoidRecredit>("currency");
  try {
    const Decimal credits = debited_credits.floor(5);  // BigDecimal(credits).floor(5)
    if (!credits.is_positive()) return {r, {}};
    // WalletCredit: amount = (credits × rate).round(exponent); amount_cents = amount × subunits.
    r.amount_cents = cur->to_cents_rounded(credits * wallet.rate_amount).to_int64();
    if (r.amount_cents == 0) return {r, {}};  // WalletCredit.rounds_to_zero?
    r.amount = cur->from_cents(Decimal(r.amount_cents));
    // Invoiceable credits: the amount over the rate, kept at 5 decimals (numeric(30,5)).
    r.credit_amount = Decimal::mul_div(r.amount, Decimal(1), wallet.rate_amount, 5);
    r.recredited = true;
    r.wallet.credits_balance = wallet.credits_balance + r.credit_amount;
    int64_t cents = wallet.balance_cents;
    if (!add(cents, r.amount_cents)) throw std::overflow_error("balance_cents");
    r.wallet.balance_cents = cents;
    const Decimal left = wallet.consumed_credits - r.credit_amount;
    r.wallet.consumed_credits = left.is_negative() ? Decimal() : left;
    return {r, {}};
  } catch (const std::exception&) {  // beyond the exact range or int64 cents
    Checked<VoidRecredit> c;
    c.error = Error::validation("base", "value_out_of_range");
    return c;
  }
}

Checked<RepricedNote> reprice_draft_note(const std::vector<DraftNoteItem>& items, const RefreshedFee& fee) {
  try {
    RepricedNote n;
    const Decimal fee_amount(fee.amount_cents);
    Decimal items_sum, coupons;
    for (const DraftNoteItem& it : items) {
      const Decimal v = it.old_fee_amount_cents == 0
                            ? Decimal()
                            : Decimal::mul_div(it.precise_amount_cents, fee_amount, Decimal(it.old_fee_amount_cents), 5);
      n.items_precise_amount_cents.push_back(v);
      n.items_amount_cents.push_back(v.round(0).to_int64());
      items_sum += v;
      if (fee.amount_cents != 0) coupons += Decimal::mul_div(fee.precise_coupons_amount_cents, v, fee_amount);
    }
    n.precise_coupons_adjustment_amount_cents = coupons;
    n.coupons_adjustment_amount_cents = coupons.round(0).to_int64();
    const Decimal base = items_sum - coupons;
    n.precise_taxes_amount_cents = base * fee.taxes_rate / Decimal(100);
    n.taxes_amount_cents = n.precise_taxes_amount_cents.round(0).to_int64();
    n.taxes_rate = items.empty() ? Decimal() : fee.taxes_rate.round(5);
    // Lago: (items.truncate(15) − coupons + taxes_amount_cents).round; items carry 5 decimals.
    n.credit_amount_cents = (items_sum - coupons + Decimal(n.taxes_amount_cents)).round(0).to_int64();
    n.balance_amount_cents = n.credit_amount_cents;
    n.total_amount_cents = n.credit_amount_cents;
    n.sub_total_excluding_taxes_amount_cents = base.round(0).to_int64();
    return {n, {}};
  } catch (const std::exception&) {
    Checked<RepricedNote> c;
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
