#include <gtest/gtest.h>

#include <vector>

#include "tariff/decimal.hpp"

using tariff::Decimal;
using tariff::RoundingMode;

namespace {
Decimal D(const char* s) { return *Decimal::parse(s); }
}  // namespace

TEST(Decimal, ParsesAndPrintsLikeRubyBigDecimal) {
  EXPECT_EQ(D("2").to_string(), "2.0");
  EXPECT_EQ(D("1012.345").to_string(), "1012.345");
  EXPECT_EQ(D("-0.50").to_string(), "-0.5");
  EXPECT_EQ(D("0.000000000000000001").to_string(), "0.000000000000000001");
  EXPECT_EQ(D("3").to_plain(), "3");
  EXPECT_FALSE(Decimal::parse("1e3"));
  EXPECT_FALSE(Decimal::parse(".5") == std::nullopt);  // ".5" is accepted by parse; events reject it elsewhere
  EXPECT_FALSE(Decimal::parse(""));
  EXPECT_FALSE(Decimal::parse("-"));
  EXPECT_FALSE(Decimal::parse("1,5"));
  EXPECT_FALSE(Decimal::parse("12a"));
  EXPECT_EQ(Decimal::parse_lenient("2.5E-2")->to_string(), "0.025");
}

TEST(Decimal, ArithmeticIsExact) {
  // 0.1 + 0.2 = 0.3 exactly (a double gives 0.30000000000000004)
  EXPECT_EQ(D("0.1") + D("0.2"), D("0.3"));
  EXPECT_EQ((D("10.12345") * D("100")).to_string(), "1012.345");
  EXPECT_EQ((D("12345") * D("0.0125")).to_string(), "154.3125");
  // 100 / 31 = 3.225806451612903225806... → 18 places, half up
  EXPECT_EQ((D("100") / D("31")).to_string(), "3.225806451612903226");
  EXPECT_EQ((D("1") / D("3") * D("3")).to_string(), "0.999999999999999999");  // 18 places kept, no hidden rounding
  EXPECT_EQ((D("-7") / D("2")).to_string(), "-3.5");
}

TEST(Decimal, DivisionByLargeDivisorsRoundsOnce) {
  // Divisors of 18.45 and more (raw value past 2^64), worked by hand:
  // 125.5 / 60 = 2.091666…: the 19th decimal is 6 → …667
  EXPECT_EQ((D("125.5") / D("60")).to_string(), "2.091666666666666667");
  EXPECT_EQ((D("10") / D("40")).to_string(), "0.25");
  EXPECT_EQ((D("1") / D("1000")).to_string(), "0.001");
  EXPECT_EQ((D("-7") / D("20")).to_string(), "-0.35");
  // 2 / 30 = 0.0666…: …667
  EXPECT_EQ((D("2") / D("30")).to_string(), "0.066666666666666667");
  // 10^-17 / 20 = half of 10^-18: away from zero; 10^-18 / 20 = 0.05 × 10^-18: zero
  EXPECT_EQ((D("0.00000000000000001") / D("20")).to_string(), "0.000000000000000001");
  EXPECT_EQ((D("-0.00000000000000001") / D("20")).to_string(), "-0.000000000000000001");
  EXPECT_EQ((D("0.000000000000000001") / D("20")).to_string(), "0.0");
  // a divisor with few trailing zero bits: 1 / 19.000000000000000001 = 0.052631578947368421|05… → …421
  EXPECT_EQ((D("1") / D("19.000000000000000001")).to_string(), "0.052631578947368421");
  // 3 × 7 / 20 = 1.05; to 1 place half up 1.1, floor 1.0, ceil of −1.05 is −1.0
  EXPECT_EQ(Decimal::mul_div(D("3"), D("7"), D("20"), 1, RoundingMode::half_up).to_string(), "1.1");
  EXPECT_EQ(Decimal::mul_div(D("3"), D("7"), D("20"), 1, RoundingMode::floor).to_string(), "1.0");
  EXPECT_EQ(Decimal::mul_div(D("-3"), D("7"), D("20"), 1, RoundingMode::ceil).to_string(), "-1.0");
}

TEST(Decimal, RoundsHalfAwayFromZeroAtEveryExponent) {
  EXPECT_EQ(D("1267.5").round(0), D("1268"));
  EXPECT_EQ(D("-1267.5").round(0), D("-1268"));
  EXPECT_EQ(D("2.345").round(2), D("2.35"));
  EXPECT_EQ(D("2.344999").round(2), D("2.34"));
  EXPECT_EQ(D("1.0005").round(3), D("1.001"));   // BHD/KWD exponent 3
  EXPECT_EQ(D("1.00005").round(4), D("1.0001"));  // CLF exponent 4
  EXPECT_EQ(D("0.5").round(0), D("1"));           // JPY exponent 0
  EXPECT_EQ(D("123.456").round(-2), D("100"));
  EXPECT_EQ(D("123.456").round(-2, RoundingMode::ceil), D("200"));
  EXPECT_EQ(D("123.456").round(2, RoundingMode::floor), D("123.45"));
  EXPECT_EQ(D("-123.451").round(2, RoundingMode::floor), D("-123.46"));
  EXPECT_EQ(D("-123.459").round(2, RoundingMode::truncate), D("-123.45"));
  EXPECT_EQ(D("54.838709677").round(0), D("55"));
}

TEST(Decimal, HugeAndTinyValues) {
  const Decimal big = D("170000000000000000000");  // 1.7e20, near the top of the range
  EXPECT_EQ(big.to_plain(), "170000000000000000000");
  EXPECT_THROW(big * D("2"), tariff::DecimalError);
  EXPECT_THROW(big + big, tariff::DecimalError);
  EXPECT_THROW(D("1") / D("0"), tariff::DecimalError);
  EXPECT_FALSE(Decimal::parse("999999999999999999999999"));
  // 28 significant digits survive a round trip
  EXPECT_EQ(D("1234567890.123456789012345678").to_string(), "1234567890.123456789012345678");
  EXPECT_EQ(D("0.0000000000000000004").to_string(), "0.0");    // below 10^-18, rounds to 0
  EXPECT_EQ(D("0.0000000000000000005").to_string(), "0.000000000000000001");
  EXPECT_EQ(D("99999999999.99").to_fixed(2), "99999999999.99");
  EXPECT_EQ(D("2.005").to_fixed(2), "2.01");
}

// parse reads the first 19 integer digits in 64 bits and the rest in 128: values across that
// boundary, and leading zeros past it.
TEST(Decimal, ParseAcrossNineteenIntegerDigits) {
  EXPECT_EQ(D("9999999999999999999").to_plain(), "9999999999999999999");
  EXPECT_EQ(D("10000000000000000000").to_plain(), "10000000000000000000");
  EXPECT_EQ(D("18446744073709551616").to_plain(), "18446744073709551616");  // 2^64
  EXPECT_EQ(D("-12345678901234567890.5").to_string(), "-12345678901234567890.5");
  EXPECT_EQ(D("00000000000000000000001.25").to_string(), "1.25");
  EXPECT_EQ(D("0.999999999999999999").to_string(), "0.999999999999999999");
  EXPECT_EQ(D("0.9999999999999999995").to_string(), "1.0");  // 19th decimal rounds up
  EXPECT_EQ(D("7").to_string(), "7.0");
}

#include "money/u128.hpp"

TEST(Decimal, U128DivisionMatchesTheCompilersOnEveryPath) {
  // Quotient and remainder of the fast paths (64-bit, 128 by 64, 128 by 128) against the
  // compiler's own 128-bit division, on operands of every width and edge.
  using tariff::uint128;
  uint64_t x = 88172645463325252ULL;  // xorshift64
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  auto operand = [&](int bits) -> uint128 {
    const uint128 v = (static_cast<uint128>(next()) << 64) | next();
    return bits >= 128 ? v : v >> (128 - bits);
  };
  const uint128 max = ~static_cast<uint128>(0);
  std::vector<std::pair<uint128, uint128>> cases = {
      {max, 1}, {max, 3}, {max, max}, {max - 1, max}, {max, (static_cast<uint128>(1) << 64) - 1},
      {static_cast<uint128>(1) << 64, (static_cast<uint128>(1) << 63) + 1}, {0, 7}, {5, 10}};
  for (int i = 0; i < 20000; ++i) {
    const int a_bits = 1 + static_cast<int>(next() % 128), b_bits = 1 + static_cast<int>(next() % 128);
    uint128 b = operand(b_bits);
    if (b == 0) b = 1;
    cases.emplace_back(operand(a_bits), b);
  }
  for (const auto& [a, b] : cases) {
    uint128 r = 0;
    const uint128 q = tariff::u128::divmod(a, b, &r);
    ASSERT_TRUE(q == a / b && r == a % b) << static_cast<uint64_t>(a >> 64) << ":" << static_cast<uint64_t>(a)
                                          << " / " << static_cast<uint64_t>(b >> 64) << ":" << static_cast<uint64_t>(b);
  }
}

// to_string is to_fixed(18) (another printer) without the fraction's trailing zeros, one kept,
// over raw values of every size, the largest magnitudes included.
TEST(DecimalText, ToStringIsFixedWithoutTrailingZeros) {
  uint64_t x = 0x9E3779B97F4A7C15ull;  // xorshift64
  auto next = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  std::vector<tariff::int128> raws = {0, 1, -1, 1000000000000000000, -1000000000000000000,
                                      (static_cast<tariff::int128>(1) << 127) - 1,
                                      -((static_cast<tariff::int128>(1) << 127) - 1)};
  for (int i = 0; i < 20000; ++i) {
    const unsigned bits = 1 + static_cast<unsigned>(next() % 126);
    tariff::int128 v = static_cast<tariff::int128>((static_cast<tariff::uint128>(next()) << 64 | next()) >> (128 - bits));
    if (next() % 3 == 0) v -= v % 1000000000;  // trailing zeros in the fraction
    raws.push_back(i % 2 ? -v : v);
  }
  for (const tariff::int128 raw : raws) {
    const Decimal d = Decimal::from_raw(raw);
    std::string want = d.to_fixed(18);
    while (want.back() == '0' && want[want.size() - 2] != '.') want.pop_back();
    ASSERT_EQ(d.to_string(), want);
  }
}
