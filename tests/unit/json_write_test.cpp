// The output writer against nlohmann's dump(), the bytes it replaces: every kind of value,
// every ASCII byte, well-formed and ill-formed UTF-8, floats from their bit patterns, random
// trees, and the output of every golden case.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/json_write.hpp"
#include "tariff/engine.hpp"

namespace {

using ojson = nlohmann::ordered_json;
namespace fs = std::filesystem;

// Both give the same text, or both throw with the same message.
void expect_same(const ojson& v) {
  std::string expected, actual, expected_error, actual_error;
  try {
    expected = v.dump();
  } catch (const std::exception& e) {
    expected_error = e.what();
  }
  try {
    actual = tariff::write_json(v);
  } catch (const std::exception& e) {
    actual_error = e.what();
  }
  ASSERT_EQ(actual_error, expected_error);
  if (expected_error.empty()) {
    ASSERT_EQ(actual, expected);
  }
}

std::string utf8(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

TEST(JsonWrite, Scalars) {
  for (const ojson& v : {ojson(nullptr), ojson(true), ojson(false), ojson(0), ojson(-1), ojson(42),
                         ojson(std::numeric_limits<std::int64_t>::min()),
                         ojson(std::numeric_limits<std::int64_t>::max()),
                         ojson(std::numeric_limits<std::uint64_t>::max()), ojson(0u),
                         ojson::object(), ojson::array(), ojson(""), ojson("plain")}) {
    expect_same(v);
  }
  EXPECT_EQ(tariff::write_json(ojson(-1)), "-1");
  EXPECT_EQ(tariff::write_json(ojson(18446744073709551615u)), "18446744073709551615");
}

TEST(JsonWrite, Floats) {
  const double specials[] = {0.0, -0.0, 1.0, -1.0, 20.0, 2.5, 0.1, 1e-7, 1e21, 1e22, 123456789012345.0,
                             1.7976931348623157e308, 5e-324, 2.2250738585072014e-308,
                             std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()};
  for (double d : specials) expect_same(ojson(d));
  EXPECT_EQ(tariff::write_json(ojson(20.0)), "20.0");
  EXPECT_EQ(tariff::write_json(ojson(std::nan(""))), "null");
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    expect_same(ojson(d));
    expect_same(ojson(static_cast<double>(static_cast<std::int64_t>(bits) % 100000000) / 10000.0));
    // Whole numbers of every size, around the 10^15 where the plain digits end.
    expect_same(ojson(static_cast<double>(static_cast<std::int64_t>(bits) >> (bits % 63))));
  }
  for (double d : {999999999999999.0, 1e15, 1e15 + 2, -999999999999999.0, -1e15, 1e16, 9007199254740992.0, -20.0, 1e14})
    expect_same(ojson(d));
}

TEST(JsonWrite, EveryAsciiByte) {
  for (int c = 0; c < 0x80; ++c) {
    const std::string s = std::string("a") + static_cast<char>(c) + "b";
    expect_same(ojson(s));
    expect_same(ojson({{s, s}}));
  }
  EXPECT_EQ(tariff::write_json(ojson(std::string("\x01\x1f\x7f\"\\\b\t\n\f\r"))),
            "\"\\u0001\\u001f\x7f\\\"\\\\\\b\\t\\n\\f\\r\"");
  expect_same(ojson(std::string("\0x", 2)));
  // Every byte at every place of a string long enough to be scanned 8 bytes at a time.
  for (int c = 0; c < 0x100; ++c)
    for (std::size_t at = 0; at < 20; ++at) {
      std::string s = "abcdefghijklmnopqrst";
      s[at] = static_cast<char>(c);
      expect_same(ojson(s));
      if (c >= 0xC2 && c <= 0xDF && at + 1 < s.size()) {
        s[at + 1] = '\xA9';
        expect_same(ojson(s));
      }
    }
}

TEST(JsonWrite, WellFormedUtf8IsCopied) {
  for (std::uint32_t cp : {0x80u, 0xE9u, 0x7FFu, 0x800u, 0x20ACu, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu,
                           0x10000u, 0x1F600u, 0x10FFFFu}) {
    expect_same(ojson(utf8(cp)));
    expect_same(ojson("x" + utf8(cp) + "\n" + utf8(cp)));
  }
  EXPECT_EQ(tariff::write_json(ojson("caf\xC3\xA9 \xE2\x82\xAC")), "\"caf\xC3\xA9 \xE2\x82\xAC\"");
}

TEST(JsonWrite, IllFormedUtf8ThrowsAsDumpDoes) {
  const char* bad[] = {"\x80", "a\xBF", "\xC0\x80", "\xC1\xBF", "\xC2", "\xC2x", "\xE0\x80\x80", "\xE0\x9F\xBF",
                       "\xED\xA0\x80", "\xED\xBF\xBF", "\xEF\xBF", "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",
                       "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFE", "\xFF", "ok\xE2\x82", "\xF0\x9F\x98"};
  for (const char* s : bad) {
    expect_same(ojson(s));
    expect_same(ojson({{"k", {1, s}}}));
    expect_same(ojson({{s, 1}}));
  }
  EXPECT_THROW(tariff::write_json(ojson("\xC0\x80")), nlohmann::json::type_error);
}

TEST(JsonWrite, RandomByteStrings) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) {
      switch (rng() % 4) {
        case 0: s += static_cast<char>(rng() % 256); break;                         // any byte
        case 1: s += static_cast<char>(rng() % 0x80); break;                        // ASCII
        case 2: s += utf8(rng() % 0x110000); break;                           // a code point
        default: s += static_cast<char>(0x80 + rng() % 0x40); break;                // a continuation
      }
    }
    expect_same(ojson(s));
  }
}

ojson random_tree(std::mt19937& rng, int depth) {
  const unsigned kind = depth <= 0 ? rng() % 6 : rng() % 10;  // 6, 7: arrays; 8, 9: objects
  switch (kind) {
    case 0: return nullptr;
    case 1: return rng() % 2 == 0;
    case 2: return static_cast<std::int64_t>(rng()) - (1ll << 31);
    case 3: return static_cast<std::uint64_t>(rng()) << 20;
    case 4: return static_cast<double>(static_cast<int>(rng() % 2000000) - 1000000) / 1000.0;
    case 5: {
      std::string s;
      for (int k = static_cast<int>(rng() % 10); k > 0; --k) s += utf8(rng() % 3 == 0 ? rng() % 0x2100 : 0x20 + rng() % 0x60);
      return s;
    }
    case 6:
    case 7: {
      ojson a = ojson::array();
      for (int k = static_cast<int>(rng() % 5); k > 0; --k) a.push_back(random_tree(rng, depth - 1));
      return a;
    }
    default: {
      ojson o = ojson::object();
      for (int k = static_cast<int>(rng() % 6); k > 0; --k) o["key_" + std::to_string(rng() % 8) + utf8(0x20 + rng() % 0x60)] = random_tree(rng, depth - 1);
      return o;
    }
  }
}

TEST(JsonWrite, RandomTrees) {
  std::mt19937 rng(2026);
  for (int i = 0; i < 3000; ++i) expect_same(random_tree(rng, 4));
}

// Every golden case's output (result or error document), read back in order, written the
// same by both; at least the invoices, fees and errors of the whole corpus.
TEST(JsonWrite, EveryGoldenOutput) {
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(TARIFF_GOLDEN_DIR)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    const std::string rel = fs::relative(entry.path(), TARIFF_GOLDEN_DIR).generic_string();
    const auto op = tariff::parse_operation(rel.substr(0, rel.find('/')));
    if (!op) continue;
    std::ifstream f(entry.path());
    std::stringstream ss;
    ss << f.rdbuf();
    const nlohmann::json doc = nlohmann::json::parse(ss.str());
    const auto& snap = doc.at("snapshot");
    const tariff::Result r = tariff::run(*op, snap.is_string() ? snap.get<std::string>() : snap.dump());
    const ojson out = ojson::parse(r.body);
    SCOPED_TRACE(rel);
    expect_same(out);
    EXPECT_EQ(tariff::write_json(out), r.body);
    ++n;
  }
  EXPECT_GT(n, 100);
}

}  // namespace

namespace {

// Ruby's BigDecimal#to_s text of raw × 10^-18, the slow way: one digit per division by 10.
std::string reference_decimal(tariff::int128 raw) {
  tariff::uint128 mag = raw < 0 ? tariff::uint128(0) - static_cast<tariff::uint128>(raw) : static_cast<tariff::uint128>(raw);
  std::string digits;
  for (; mag != 0; mag /= 10) digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
  if (digits.size() < 19) digits.insert(0, 19 - digits.size(), '0');
  std::string whole = digits.substr(0, digits.size() - 18), frac = digits.substr(digits.size() - 18);
  while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
  return (raw < 0 ? "-" : "") + whole + "." + frac;
}

}  // namespace

TEST(JsonWrite, DecimalText) {
  using tariff::Decimal;
  const auto text = [](const char* s) { return Decimal::parse(s)->to_string(); };
  EXPECT_EQ(text("0"), "0.0");
  EXPECT_EQ(text("2"), "2.0");
  EXPECT_EQ(text("-0.5"), "-0.5");
  EXPECT_EQ(text("1012.345"), "1012.345");
  EXPECT_EQ(text("0.000000000000000001"), "0.000000000000000001");
  EXPECT_EQ(text("0.000000001"), "0.000000001");
  EXPECT_EQ(text("0.100000000000000001"), "0.100000000000000001");
  EXPECT_EQ(text("999999999.999999999999999999"), "999999999.999999999999999999");
  EXPECT_EQ(text("1000000000"), "1000000000.0");
  EXPECT_EQ(text("4294967296.25"), "4294967296.25");
  EXPECT_EQ(text("-18446744073709551616.000000000000000001"), "-18446744073709551616.000000000000000001");
  EXPECT_EQ(text("123456789012345678901"), "123456789012345678901.0");
  // Every power of 2 and of 10 within range, ± 1 ulp, and random magnitudes of every length.
  std::vector<tariff::int128> raws;
  for (int b = 0; b < 127; ++b) {
    const tariff::int128 p = tariff::int128(1) << b;
    for (tariff::int128 v : {p - 1, p, p + 1}) raws.push_back(v), raws.push_back(-v);
  }
  for (tariff::int128 p = 1, i = 0; i < 38; ++i, p *= 10)
    for (tariff::int128 v : {p - 1, p, p + 1}) raws.push_back(v), raws.push_back(-v);
  raws.push_back(std::numeric_limits<tariff::int128>::max());
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    tariff::uint128 v = (tariff::uint128(rng()) << 64 | rng()) >> (1 + rng() % 127);
    raws.push_back(rng() % 2 ? static_cast<tariff::int128>(v) : -static_cast<tariff::int128>(v));
  }
  for (tariff::int128 raw : raws) {
    const Decimal d = Decimal::from_raw(raw);
    ASSERT_EQ(d.to_string(), reference_decimal(raw));
    std::string out;
    tariff::JsonText(out).value(d);
    ASSERT_EQ(out, ojson(reference_decimal(raw)).dump());
  }
}

TEST(JsonWrite, DivideSmall) {
  using tariff::Decimal;
  // Half away from zero at the 18th decimal: 0.000000000000000150 / 100 → 0.000000000000000002.
  EXPECT_EQ(tariff::divide_small(Decimal::from_raw(150), 100).raw(), 2);
  EXPECT_EQ(tariff::divide_small(Decimal::from_raw(-150), 100).raw(), -2);
  EXPECT_EQ(tariff::divide_small(Decimal::from_raw(149), 100).raw(), 1);
  EXPECT_EQ(tariff::divide_small(*Decimal::parse("1234.5"), 100).to_string(), "12.345");
  EXPECT_EQ(tariff::divide_small(*Decimal::parse("1"), 3).to_string(), "0.333333333333333333");
  EXPECT_EQ(tariff::divide_small(*Decimal::parse("2"), 3).to_string(), "0.666666666666666667");
  std::mt19937_64 rng(12);
  for (int i = 0; i < 20000; ++i) {
    tariff::uint128 v = (tariff::uint128(rng()) << 64 | rng()) >> (2 + rng() % 126);
    const Decimal d = Decimal::from_raw(rng() % 2 ? static_cast<tariff::int128>(v) : -static_cast<tariff::int128>(v));
    const std::uint32_t divisor = i % 3 == 0 ? 100 : i % 3 == 1 ? 5 : static_cast<std::uint32_t>(1 + rng() % 0xFFFFFFFFu);
    ASSERT_EQ(tariff::divide_small(d, divisor).raw(), (d / Decimal(static_cast<long long>(divisor))).raw());
  }
}
