// Property tests for the charge models: random but reproducible (fixed seed, raw mt19937_64
// output so every platform draws the same numbers). Each property runs a bounded number of
// cases (well under 2 s in total). Tier tables are built as JSON and go through
// parse_charge_properties, so parsing and validation of valid input are exercised as well.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/charge_models.hpp"

namespace tariff {
namespace {

using json = nlohmann::json;

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  int64_t between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool coin() { return (rng_() & 1) == 1; }
  // A decimal in [0, max_int] with up to `places` decimals, as text.
  std::string decimal_text(int64_t max_int, int places) {
    std::string s = std::to_string(between(0, max_int));
    const int p = static_cast<int>(between(0, places));
    if (p > 0) {
      s += '.';
      for (int i = 0; i < p; ++i) s += static_cast<char>('0' + between(0, 9));
    }
    return s;
  }
  Decimal decimal(int64_t max_int, int places) { return *Decimal::parse(decimal_text(max_int, places)); }

 private:
  std::mt19937_64 rng_;
};

ChargeProperties parse_valid(ChargeModel m, const json& j) {
  ErrorCollector errors;
  ChargeProperties p = parse_charge_properties(m, j, "p", errors);
  EXPECT_TRUE(errors.empty()) << j.dump();
  return p;
}

ChargeUsage units_usage(const Decimal& units) {
  ChargeUsage u;
  u.aggregation = AggregationKind::sum;
  u.units = units;
  u.events_count = 1;
  return u;
}

struct Tier { Decimal to; bool open; Decimal price; Decimal flat; };

// Graduated tiers, classic (from = previous to + 1) or adjacent (from = previous to), as JSON
// plus the plain tier list for the reference.
json graduated_table(Gen& g, bool adjacent, std::vector<Tier>& tiers) {
  json ranges = json::array();
  const int64_t n = g.between(1, 5);
  int64_t from = (!adjacent && g.coin()) ? 1 : 0;
  for (int64_t i = 0; i < n; ++i) {
    const bool last = i + 1 == n;
    const int64_t to = from + g.between(1, 60);
    Tier t{Decimal(to), last, g.decimal(100, 4), g.decimal(50, 2)};
    ranges.push_back({{"from_value", from},
                      {"to_value", last ? json(nullptr) : json(to)},
                      {"per_unit_amount", t.price.to_string()},
                      {"flat_amount", t.flat.to_string()}});
    tiers.push_back(t);
    from = adjacent ? to : to + 1;
  }
  return {{"graduated_ranges", ranges}};
}

// Reference: tier i holds the units in (to_{i−1}, to_i] (to_{−1} = 0); its flat is due for
// the first tier always and for every later tier the units reach past to_{i−1}.
Decimal graduated_reference(const std::vector<Tier>& tiers, const Decimal& units) {
  Decimal total, lower;
  for (size_t i = 0; i < tiers.size(); ++i) {
    if (i > 0 && !(units > lower)) break;
    Decimal in = units - lower;
    if (in.is_negative()) in = Decimal();
    if (!tiers[i].open && in > tiers[i].to - lower) in = tiers[i].to - lower;
    total += in * tiers[i].price + tiers[i].flat;
    lower = tiers[i].to;
  }
  return total;
}

TEST(ChargeModelProperties, GraduatedIsTheSumOverTiers) {
  Gen g(20240315);
  for (int c = 0; c < 1500; ++c) {
    std::vector<Tier> tiers;
    const bool adjacent = g.coin();
    const json j = graduated_table(g, adjacent, tiers);
    const ChargeProperties p = parse_valid(ChargeModel::graduated, j);
    const Decimal units = g.decimal(320, 3);
    ChargeAmount r;
    ASSERT_NO_THROW(r = compute_charge(p, units_usage(units)));
    ASSERT_EQ(r.amount, graduated_reference(tiers, units))
        << j.dump() << " units " << units.to_string();
    ASSERT_NO_THROW(project_charge(p, units_usage(units), g.decimal(0, 3) + Decimal::pow10(-3)));
  }
}

TEST(ChargeModelProperties, VolumeIsNeverNegativeAndUsesOneRange) {
  Gen g(7);
  for (int c = 0; c < 1500; ++c) {
    json ranges = json::array();
    std::vector<Tier> tiers;
    const int64_t n = g.between(1, 4);
    int64_t from = 0;
    for (int64_t i = 0; i < n; ++i) {
      const bool last = i + 1 == n;
      const int64_t to = from + g.between(1, 80);
      Tier t{Decimal(to), last, g.decimal(20, 4), g.decimal(30, 2)};
      ranges.push_back({{"from_value", from}, {"to_value", last ? json(nullptr) : json(to)},
                        {"per_unit_amount", t.price.to_string()},
                        {"flat_amount", t.flat.to_string()}});
      tiers.push_back(t);
      from = to + 1;
    }
    const ChargeProperties p = parse_valid(ChargeModel::volume, {{"volume_ranges", ranges}});
    const Decimal units = g.decimal(400, 3);
    ChargeAmount r;
    ASSERT_NO_THROW(r = compute_charge(p, units_usage(units)));
    ASSERT_GE(r.amount, Decimal());
    // the amount is units × price + flat of exactly one of the ranges
    int matches = 0;
    for (const Tier& t : tiers)
      if (r.amount == units * t.price + t.flat) ++matches;
    ASSERT_GE(matches, 1) << ranges.dump() << " units " << units.to_string();
    ASSERT_NO_THROW(project_charge(p, units_usage(units), Decimal(1) / Decimal(g.between(1, 31))));
  }
}

TEST(ChargeModelProperties, PackageIsMonotoneInUnits) {
  Gen g(99);
  for (int c = 0; c < 1500; ++c) {
    const json j = {{"amount", g.decimal_text(200, 2)},
                    {"package_size", g.between(1, 25)},
                    {"free_units", g.between(0, 40)}};
    const ChargeProperties p = parse_valid(ChargeModel::package, j);
    Decimal a = g.decimal(300, 2), b = g.decimal(300, 2);
    if (b < a) std::swap(a, b);
    const ChargeAmount ra = compute_charge(p, units_usage(a));
    const ChargeAmount rb = compute_charge(p, units_usage(b));
    ASSERT_LE(ra.amount, rb.amount) << j.dump() << " " << a.to_string() << " " << b.to_string();
    ASSERT_GE(ra.amount, Decimal());
  }
}

TEST(ChargeModelProperties, StandardIsLinear) {
  Gen g(42);
  for (int c = 0; c < 1500; ++c) {
    const ChargeProperties p =
        parse_valid(ChargeModel::standard, {{"amount", g.decimal_text(1000, 6)}});
    const Decimal a = g.decimal(5000, 4), b = g.decimal(5000, 4);
    // ≤ 6 + 4 decimals: every product is exact, so additivity holds exactly
    ASSERT_EQ(compute_charge(p, units_usage(a + b)).amount,
              compute_charge(p, units_usage(a)).amount + compute_charge(p, units_usage(b)).amount);
    ASSERT_EQ(compute_charge(p, units_usage(a * Decimal(3))).amount,
              compute_charge(p, units_usage(a)).amount * Decimal(3));
  }
}

TEST(ChargeModelProperties, PercentageIsNeverNegative) {
  Gen g(1234);
  for (int c = 0; c < 1500; ++c) {
    json j = {{"rate", g.decimal_text(30, 3)}};
    if (g.coin()) j["fixed_amount"] = g.decimal_text(5, 2);
    if (g.coin()) j["free_units_per_events"] = g.between(1, 6);
    if (g.coin()) j["free_units_per_total_aggregation"] = g.decimal_text(300, 2);
    if (g.coin()) {
      const Decimal lo = g.decimal(5, 2);
      j["per_transaction_min_amount"] = lo.to_string();
      if (g.coin()) j["per_transaction_max_amount"] = (lo + g.decimal(20, 2)).to_string();
    } else if (g.coin()) {
      j["per_transaction_max_amount"] = g.decimal_text(20, 2);
    }
    const ChargeProperties p = parse_valid(ChargeModel::percentage, j);
    ChargeUsage u;
    u.aggregation = g.coin() ? AggregationKind::sum : AggregationKind::count;
    const int64_t n = g.between(0, 12);
    for (int64_t i = 0; i < n; ++i)
      u.event_values.push_back(u.aggregation == AggregationKind::sum ? g.decimal(500, 3) : Decimal(1));
    for (const Decimal& v : u.event_values) u.units += v;
    u.events_count = n;
    ChargeAmount r;
    ASSERT_NO_THROW(r = compute_charge(p, u)) << j.dump();
    ASSERT_GE(r.amount, Decimal()) << j.dump();
    ASSERT_FALSE(r.zeroed) << j.dump();  // the model itself never goes negative
    ASSERT_NO_THROW(project_charge(p, u, Decimal(g.between(1, 30)) / Decimal(30)));
  }
}

TEST(ChargeModelProperties, GraduatedPercentageAndProratedNeverThrow) {
  Gen g(555);
  for (int c = 0; c < 800; ++c) {
    json ranges = json::array();
    const int64_t n = g.between(1, 4);
    int64_t from = 0;
    for (int64_t i = 0; i < n; ++i) {
      const bool last = i + 1 == n;
      const int64_t to = from + g.between(1, 50);
      ranges.push_back({{"from_value", from}, {"to_value", last ? json(nullptr) : json(to)},
                        {"rate", g.decimal_text(10, 3)}, {"flat_amount", g.decimal_text(20, 2)}});
      from = to + 1;
    }
    const ChargeProperties gp =
        parse_valid(ChargeModel::graduated_percentage, {{"graduated_percentage_ranges", ranges}});
    const Decimal units = g.decimal(250, 3);
    ChargeAmount r;
    ASSERT_NO_THROW(r = compute_charge(gp, units_usage(units)));
    ASSERT_GE(r.amount, Decimal());

    // prorated graduated: random adds (and some removes) with a proration factor in (0, 1]
    std::vector<Tier> tiers;
    const ChargeProperties pg = parse_valid(ChargeModel::graduated, graduated_table(g, false, tiers));
    ChargeUsage pu;
    pu.prorated = true;
    Decimal full_total;
    const int64_t events = g.between(1, 6);
    for (int64_t i = 0; i < events; ++i) {
      Decimal f = Decimal(g.between(1, 40));
      if (g.between(0, 4) == 0 && full_total > f) f = -f;  // a remove
      const Decimal p = (f * Decimal(g.between(0, 30)) / Decimal(30)).ceil(5);
      pu.prorated_events.push_back({f, p});
      pu.units += p;
      full_total += f;
    }
    pu.full_units = full_total;
    ChargeAmount rp;
    ASSERT_NO_THROW(rp = compute_charge(pg, pu));
    ASSERT_GE(rp.amount, Decimal());
  }
}

}  // namespace
}  // namespace tariff
