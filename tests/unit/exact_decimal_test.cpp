// Decimal at its edges: overflow is always an error (never a wrap), a × b / c is rounded once,
// integer cent sums are checked. Every expected value below is worked out by hand (the
// arithmetic is in the comments), not taken from the engine.
#include <gtest/gtest.h>

#include <cstdint>

#include "tariff/decimal.hpp"

using tariff::add_cents;
using tariff::Decimal;
using tariff::DecimalError;
using tariff::int128;
using tariff::Ratio;
using tariff::RoundingMode;
using tariff::sub_cents;
using tariff::uint128;

namespace {
Decimal D(const char* s) { return *Decimal::parse(s); }

// A 39-digit decimal integer as a raw 128-bit value.
uint128 U(const char* digits) {
  uint128 v = 0;
  for (const char* p = digits; *p; ++p) v = v * 10 + static_cast<unsigned>(*p - '0');
  return v;
}

const int128 kMaxRaw = static_cast<int128>((static_cast<uint128>(1) << 127) - 1);  // 2^127 − 1
}  // namespace

// The largest value is (2^127 − 1) × 10^-18 = 170141183460469231731.687303715884105727.
TEST(ExactDecimal, MaxValueAndOneUlpPast) {
  const Decimal max = Decimal::from_raw(kMaxRaw);
  EXPECT_EQ(max.to_string(), "170141183460469231731.687303715884105727");
  EXPECT_EQ(*Decimal::parse("170141183460469231731.687303715884105727"), max);
  EXPECT_FALSE(Decimal::parse("170141183460469231731.687303715884105728"));   // max + 1 ulp
  EXPECT_FALSE(Decimal::parse("-170141183460469231731.687303715884105728"));  // −(max + 1 ulp)
  // The 19th decimal rounds the 18th up, past the max: refused, not wrapped.
  EXPECT_FALSE(Decimal::parse("170141183460469231731.6873037158841057275"));
  EXPECT_EQ(*Decimal::parse("170141183460469231731.6873037158841057274"), max);
  const Decimal ulp = Decimal::from_raw(1);
  EXPECT_THROW(max + ulp, DecimalError);
  EXPECT_THROW(-max - ulp - ulp, DecimalError);
  EXPECT_EQ((max - ulp) + ulp, max);
  EXPECT_EQ(-max - ulp, Decimal::from_raw(-kMaxRaw - 1));  // −2^127 is representable ...
  EXPECT_THROW(-(-max - ulp), DecimalError);                // ... its negation is not
}

// Rounding at the max: .687... rounds the integer part up to ...732, past the max.
TEST(ExactDecimal, RoundingAtTheMaxThrows) {
  const Decimal max = Decimal::from_raw(kMaxRaw);
  EXPECT_THROW(max.round(0), DecimalError);
  EXPECT_THROW(max.ceil(0), DecimalError);
  EXPECT_EQ(max.floor(0).to_string(), "170141183460469231731.0");
  EXPECT_THROW(max.round(1), DecimalError);  // .687… → .7, above the max
  EXPECT_EQ(max.truncate(1).to_string(), "170141183460469231731.6");
  EXPECT_THROW(max.round(-20), DecimalError);  // 1.7e20 → 2e20 > max
  EXPECT_THROW((-max).round(-20), DecimalError);  // −2e20 < −max
}

// Before the fix the product's quotient could be 2^128 − 1 and the rounding increment, applied
// after the overflow check, wrapped it to 0. a.raw × b.raw = (2^128 − 1) × 10^18 + r with
// 2r ≥ 10^18 (a.raw = 113427455640312820927603291196630428630, b.raw = 3000000000000000006,
// r = 619747179782571780, found with a 256-bit search).
TEST(ExactDecimal, MultiplicationAtTheWrapPointThrows) {
  const Decimal a = Decimal::from_raw(static_cast<int128>(U("113427455640312820927603291196630428630")));
  const Decimal b = Decimal::from_raw(3000000000000000006);
  EXPECT_THROW(a * b, DecimalError);
  EXPECT_THROW(a * -b, DecimalError);
  EXPECT_THROW(Decimal::mul_div(a, b, Decimal(1)), DecimalError);
  EXPECT_THROW(D("100000000000000000000") * D("2"), DecimalError);  // 2e20 > 1.7e20
  // (max − 1 ulp) / 2 × 2 = max − 1 ulp exactly (max's raw value is odd)
  EXPECT_EQ((D("85070591730234615865.843651857942052863") * D("2")).raw(), kMaxRaw - 1);
}

// Division likewise: a.raw × 10^18 = (2^128 − 1) × b.raw + r, 2r ≥ b.raw.
TEST(ExactDecimal, DivisionAtTheWrapPointThrows) {
  const Decimal a = Decimal::from_raw(static_cast<int128>(U("136112946768375386065914576814584211509")));
  const Decimal b = Decimal::from_raw(400000000000000002);
  EXPECT_THROW(a / b, DecimalError);
  EXPECT_THROW(a / -b, DecimalError);
  EXPECT_THROW(D("1") / Decimal(), DecimalError);
  EXPECT_THROW(D("1000") / D("0.000000000000000001"), DecimalError);  // 1e21
  EXPECT_EQ(D("170") / D("0.000000000000000001"), D("170000000000000000000"));
}

// mul_div rounds the exact a × b / c once, at the asked place.
TEST(ExactDecimal, MulDivRoundsOnce) {
  // 1 × 1 / 3 at 18 places, each mode.
  EXPECT_EQ(Decimal::mul_div(D("1"), D("1"), D("3")).to_string(), "0.333333333333333333");
  EXPECT_EQ(Decimal::mul_div(D("1"), D("1"), D("3"), 18, RoundingMode::ceil).to_string(), "0.333333333333333334");
  EXPECT_EQ(Decimal::mul_div(D("2"), D("1"), D("3")).to_string(), "0.666666666666666667");
  EXPECT_EQ(Decimal::mul_div(D("-2"), D("1"), D("3"), 18, RoundingMode::floor).to_string(), "-0.666666666666666667");
  EXPECT_EQ(Decimal::mul_div(D("-2"), D("1"), D("3"), 18, RoundingMode::ceil).to_string(), "-0.666666666666666666");
  // ceil at 5 places of 0.000300000000000001 × 1 / 30 = 0.00001 + 1/30 × 10^-18: exact → 0.00002.
  // Cut to 18 places first (0.000010000000000000) the ceiling was 0.00001.
  const Decimal v = D("0.000300000000000001");
  EXPECT_EQ(Decimal::mul_div(v, D("1"), D("30"), 5, RoundingMode::ceil), D("0.00002"));
  EXPECT_EQ((v * D("1") / D("30")).ceil(5), D("0.00001"));  // the old two-step result
  // half_up at 6 places of 0.000014999999999999 × 1 / 30 = 0.0000005 − 1/30 × 10^-18: exact → 0.
  // Cut to 18 places first it was 0.000000500000000000 → 0.000001.
  const Decimal w = D("0.000014999999999999");
  EXPECT_EQ(Decimal::mul_div(w, D("1"), D("30"), 6), D("0"));
  EXPECT_EQ((w * D("1") / D("30")).round(6), D("0.000001"));
  // The half itself still rounds away from zero: 3 × 1 / 2 = 1.5 → 2; −1.5 → −2.
  EXPECT_EQ(Decimal::mul_div(D("3"), D("1"), D("2"), 0), D("2"));
  EXPECT_EQ(Decimal::mul_div(D("-3"), D("1"), D("2"), 0), D("-2"));
  // The 256-bit product survives: (10^20 × 10^20) / 10^20 = 10^20.
  EXPECT_EQ(Decimal::mul_div(D("100000000000000000000"), D("100000000000000000000"), D("100000000000000000000")),
            D("100000000000000000000"));
  EXPECT_THROW(Decimal::mul_div(D("1"), D("1"), Decimal()), DecimalError);
  EXPECT_THROW(Decimal::mul_div(D("100000000000000000000"), D("2"), D("1")), DecimalError);
}

// A ratio kept as a fraction: 1.515 × 10/30 = 0.505 → 0.51 exactly; with the ratio cut to
// 0.333333333333333333 first, 1.515 × it = 0.504999999999999999495 → 0.50.
TEST(ExactDecimal, RatioIsDividedOnce) {
  const Ratio third(Decimal(10), Decimal(30));
  EXPECT_EQ(third.of(D("1.515"), 2), D("0.51"));
  EXPECT_EQ((D("1.515") * (Decimal(10) / Decimal(30))).round(2), D("0.5"));  // old
  // Divide by 20/30: 1.01 / (2/3) = 1.515 → 1.52; by the cut ratio 0.666666666666666667 it is
  // 1.514999999999999999 → 1.51.
  const Ratio two_thirds(Decimal(20), Decimal(30));
  EXPECT_EQ(two_thirds.divide(D("1.01"), 2), D("1.52"));
  EXPECT_EQ((D("1.01") / (Decimal(20) / Decimal(30))).round(2), D("1.51"));  // old
  EXPECT_FALSE(two_thirds.above_one());
  EXPECT_TRUE(Ratio(Decimal(31), Decimal(30)).above_one());
}

// Lenient parsing moves the point in the text and rounds once.
TEST(ExactDecimal, LenientParseRoundsOnce) {
  // 4.5e-19 = 0.00000000000000000045 → 0 at 18 places (dividing by 10 step by step gave 10^-18).
  EXPECT_EQ(*Decimal::parse_lenient("4.5e-19"), D("0"));
  EXPECT_EQ(*Decimal::parse_lenient("5e-19"), D("0.000000000000000001"));
  // 1.2345678901234567895e2 = 123.45678901234567895 → 123.456789012345678950 (kept exactly);
  // rounding the mantissa to 18 places first (1.234567890123456790) gave 123.456789012345679.
  EXPECT_EQ(Decimal::parse_lenient("1.2345678901234567895e2")->to_string(), "123.45678901234567895");
  EXPECT_EQ(Decimal::parse_lenient("-2.5E+3")->to_string(), "-2500.0");
  EXPECT_EQ(Decimal::parse_lenient("12e-1")->to_string(), "1.2");
  EXPECT_FALSE(Decimal::parse_lenient("1e21"));    // over the max: refused
  EXPECT_FALSE(Decimal::parse_lenient("1e"));
  EXPECT_FALSE(Decimal::parse_lenient("e5"));
  EXPECT_FALSE(Decimal::parse_lenient("1e+"));
  ASSERT_TRUE(Decimal::parse_lenient("1e-999"));
  EXPECT_EQ(*Decimal::parse_lenient("1e-999"), D("0"));
  EXPECT_FALSE(Decimal::parse_lenient("1e-9999"));  // exponents have at most 4 characters
}

TEST(ExactDecimal, CentSumsAreChecked) {
  EXPECT_EQ(add_cents(INT64_MAX - 1, 1), INT64_MAX);
  EXPECT_THROW(add_cents(INT64_MAX, 1), DecimalError);
  EXPECT_THROW(add_cents(INT64_MIN, -1), DecimalError);
  EXPECT_EQ(sub_cents(INT64_MIN + 1, 1), INT64_MIN);
  EXPECT_THROW(sub_cents(INT64_MIN, 1), DecimalError);
  EXPECT_THROW(sub_cents(0, INT64_MIN), DecimalError);
}

// Σ x × n kept in 256 bits and divided once (time-weighted sums).
TEST(ExactDecimal, ProductSumDividesOnce) {
  tariff::ProductSum s;
  s.add(D("2.5"), 4);   // 10
  s.add(D("-1"), 3);    // −3
  EXPECT_EQ(s.divide(2), D("3.5"));  // 7 / 2
  s.add(D("-1"), 7);    // 0 − 7 = −7… total 10 − 3 − 7 = 0
  EXPECT_EQ(s.divide(2), D("0"));
  s.add(D("-1"), 7);    // −7
  EXPECT_EQ(s.divide(2, 0), D("-4"));  // −3.5 → −4, half away from zero
  EXPECT_EQ(s.divide(2, 0, RoundingMode::ceil), D("-3"));
  // 10^-18 held 1 µs over a 1 s period: 10^-24 exactly, ceiled at 18 places → 10^-18. Rounding
  // the product 10^-18 × 0.000001 s to 18 places first gave 0.
  tariff::ProductSum tiny;
  tiny.add(D("0.000000000000000001"), 1);
  EXPECT_EQ(tiny.divide(1000000, 18, RoundingMode::ceil), D("0.000000000000000001"));
  EXPECT_EQ(tiny.divide(1000000), D("0"));
  // The max held INT64_MAX µs, divided by the same: the max exactly (the product needs 191 bits).
  tariff::ProductSum big;
  const Decimal max = Decimal::from_raw(kMaxRaw);
  big.add(max, INT64_MAX);
  EXPECT_EQ(big.divide(static_cast<uint64_t>(INT64_MAX)), max);
  EXPECT_THROW(big.divide(static_cast<uint64_t>(INT64_MAX) / 2), DecimalError);  // 2 × max
  EXPECT_THROW(big.divide(0), DecimalError);
}

// mul_div against a reference worked in plain 128-bit integers: for raw values small enough
// that a.raw × b.raw and c.raw × 10^(18 − places) fit, round(a.raw × b.raw / (c.raw × step))
// is computed directly (quotient, remainder, the mode's rule) and must equal mul_div, for
// every mode and place, including exact halves (small divisors make them frequent).
TEST(ExactDecimal, MulDivMatchesAnIntegerReference) {
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  auto pow10 = [](int n) {
    int128 v = 1;
    for (int i = 0; i < n; ++i) v *= 10;
    return v;
  };
  const int64_t divisors[] = {1, 2, 3, 4, 5, 8, 10, 28, 29, 30, 31, 90, 365, 366, 1000, 86400};
  const RoundingMode modes[] = {RoundingMode::half_up, RoundingMode::ceil, RoundingMode::floor, RoundingMode::truncate};
  int checked = 0, halves = 0;
  for (int i = 0; i < 200000; ++i) {
    const int64_t a = static_cast<int64_t>(next() % (uint64_t{1} << (1 + next() % 61))) * ((next() & 1) ? -1 : 1);
    const int64_t b = static_cast<int64_t>(next() % (uint64_t{1} << (1 + next() % 61)));
    int64_t c = (next() & 1) ? divisors[next() % 16] * static_cast<int64_t>(pow10(static_cast<int>(next() % 15)))  // < 2^63
                             : static_cast<int64_t>(next() % (uint64_t{1} << (1 + next() % 61))) + 1;
    if (next() & 1) c = -c;
    const int places = static_cast<int>(next() % 19);  // 0..18
    const RoundingMode mode = modes[next() % 4];
    const int128 step = pow10(18 - places);
    const int128 n = static_cast<int128>(a) * b, d = static_cast<int128>(c) * step;
    const bool negative = (n < 0) != (d < 0) && n != 0;
    const int128 nm = n < 0 ? -n : n, dm = d < 0 ? -d : d;
    int128 q = nm / dm;
    const int128 r = nm % dm;
    bool up = false;
    if (mode == RoundingMode::half_up) up = 2 * r >= dm && r != 0;
    if (mode == RoundingMode::ceil) up = r != 0 && !negative;
    if (mode == RoundingMode::floor) up = r != 0 && negative;
    if (2 * r == dm) ++halves;
    if (up) ++q;
    const int128 expected = (negative ? -q : q) * step;
    const Decimal got = Decimal::mul_div(Decimal::from_raw(a), Decimal::from_raw(b), Decimal::from_raw(c), places, mode);
    ASSERT_EQ(got.raw(), expected) << a << " × " << b << " / " << c << " at " << places << " mode "
                                   << static_cast<int>(mode);
    ++checked;
  }
  EXPECT_EQ(checked, 200000);
  EXPECT_GT(halves, 100);  // the half-way case was exercised
}
