// The expression evaluator's fast path (integer mantissas at bigdecimal's scale): the text it
// produces, worked by hand below, and where it hands over to the exact path (overflow, scale
// beyond 18 places, exotic properties, errors) so that evaluate_to_text never changes.
#include <gtest/gtest.h>

#include <cctype>
#include <initializer_list>
#include <tuple>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event_store.hpp"
#include "tariff/expression.hpp"

namespace {

using nlohmann::json;
using tariff::Decimal;
using tariff::expr::EventFields;
using tariff::expr::Expression;
using tariff::expr::ExpressionError;

struct Ev {
  json props = json::object();
  std::string code = "api_call";
  int64_t ts = 1700000000;
  EventFields fields() const { return EventFields{code, ts, &props}; }
};

// The fast path's text; fails the test when it gives up.
std::string fast(const std::string& src, const json& props) {
  Ev ev;
  ev.props = props;
  std::string out;
  EXPECT_TRUE(Expression::parse(src).evaluate_fast(ev.fields(), out)) << src << " " << props.dump();
  return out;
}

bool gives_up(const std::string& src, const json& props) {
  Ev ev;
  ev.props = props;
  std::string out;
  return !Expression::parse(src).evaluate_fast(ev.fields(), out);
}

std::string to_text(const std::string& src, const json& props) {
  Ev ev;
  ev.props = props;
  return Expression::parse(src).evaluate_to_text(ev.fields());
}

TEST(ExpressionFast, CommonExpressions) {
  // 125.5 / 60 = 2.0916…, rounded at 2 places: 2.09.
  EXPECT_EQ(fast("round(event.properties.d / 60, 2)", {{"d", "125.5"}}), "2.09");
  // 3 × 4.25 + 1 = 13.75; −3 × 4.25 + 1 = −11.75.
  EXPECT_EQ(fast("event.properties.a * event.properties.b + 1", {{"a", "3"}, {"b", "4.25"}}), "13.75");
  EXPECT_EQ(fast("event.properties.a * event.properties.b + 1", {{"a", "-3"}, {"b", "4.25"}}), "-11.75");
  EXPECT_EQ(fast("concat(event.properties.r, '-', event.code)", {{"r", "eu"}}), "eu-api_call");
  // JSON integers read as they are: 7 − 10 = −3.
  EXPECT_EQ(fast("event.properties.a - 10", {{"a", 7}}), "-3.0");
  EXPECT_EQ(fast("event.properties.a", {{"a", "-0.00"}}), "0.0");
}

TEST(ExpressionFast, RoundsHalvesAwayFromZeroAsLago) {
  EXPECT_EQ(fast("round(event.properties.x)", {{"x", "2.5"}}), "3.0");
  EXPECT_EQ(fast("round(event.properties.x)", {{"x", "-2.5"}}), "-3.0");
  EXPECT_EQ(fast("round(event.properties.x, 2)", {{"x", "0.125"}}), "0.13");
  EXPECT_EQ(fast("round(event.properties.x, 2)", {{"x", "-0.125"}}), "-0.13");
  EXPECT_EQ(fast("round(event.properties.x, 2)", {{"x", "0.12499"}}), "0.12");
  // 0.3 / 60 = 0.005 exactly: half, so up to 0.01 (−0.01 below zero).
  EXPECT_EQ(fast("round(event.properties.x / 60, 2)", {{"x", "0.3"}}), "0.01");
  EXPECT_EQ(fast("round(event.properties.x / 60, 2)", {{"x", "-0.3"}}), "-0.01");
  EXPECT_EQ(fast("ceil(event.properties.x)", {{"x", "-1.5"}}), "-1.0");
  EXPECT_EQ(fast("floor(event.properties.x)", {{"x", "-1.5"}}), "-2.0");
  EXPECT_EQ(fast("ceil(event.properties.x, 1)", {{"x", "1.01"}}), "1.1");
  // More digits than the value has: unchanged.
  EXPECT_EQ(fast("round(event.properties.x, 5)", {{"x", "1.5"}}), "1.5");
}

TEST(ExpressionFast, DivisionWithManyDigits) {
  // 1/3 and 2/3 at 18 places, the last rounded half away from zero.
  EXPECT_EQ(fast("event.properties.a / 3", {{"a", "1"}}), "0.333333333333333333");
  EXPECT_EQ(fast("event.properties.a / 3", {{"a", "2"}}), "0.666666666666666667");
  EXPECT_EQ(fast("event.properties.a / 3", {{"a", "-2"}}), "-0.666666666666666667");
  // 1000 / 7 = 142.857142857142857142857…: 18 places, the 19th (8) rounds up.
  EXPECT_EQ(fast("event.properties.a / 7", {{"a", "1000"}}), "142.857142857142857143");
  // Terminating quotients keep bigdecimal's scale inside concat(): 10/4 = 2.5,
  // 1.00/2 = 0.50, 1/8 = 0.125, 100/4 = 25.
  EXPECT_EQ(fast("concat(event.properties.a / 4)", {{"a", "10"}}), "2.5");
  EXPECT_EQ(fast("concat(event.properties.a / 2)", {{"a", "1.00"}}), "0.50");
  EXPECT_EQ(fast("concat(event.properties.a / 8)", {{"a", "1"}}), "0.125");
  EXPECT_EQ(fast("concat(event.properties.a / 4)", {{"a", "100"}}), "25");
  // A non-terminating quotient prints 18 places: 1/3.
  EXPECT_EQ(fast("concat(event.properties.a / 3)", {{"a", "1"}}), "0.333333333333333333");
}

TEST(ExpressionFast, BigIntegers) {
  // 17 nines × 1000 = 99999999999999999000, just below 10^20.
  EXPECT_EQ(fast("event.properties.a * 1000", {{"a", "99999999999999999"}}), "99999999999999999000.0");
  // 9223372036854775807 (int64 max, a JSON integer) + 1.
  EXPECT_EQ(fast("event.properties.a + 1", {{"a", INT64_MAX}}), "9223372036854775808.0");
  EXPECT_EQ(fast("event.properties.a - 1", {{"a", INT64_MIN}}), "-9223372036854775809.0");
  // 2000 / 60 = 33.333333333333333333 at 18 places (a mantissa past 2^64), × 100 exactly.
  EXPECT_EQ(fast("event.properties.a / 60 * 100", {{"a", "2000"}}), "3333.3333333333333333");
}

TEST(ExpressionFast, HandsOverToTheExactPath) {
  // 1.5 × 10^20: beyond the fast path's 10^20, within Decimal's range.
  const json big = {{"a", "150000000000000000000"}};
  EXPECT_TRUE(gives_up("event.properties.a + 0", big));
  EXPECT_EQ(to_text("event.properties.a + 0", big), "150000000000000000000.0");
  // A sum that crosses 10^20: 6 × 10^19 + 6 × 10^19 = 1.2 × 10^20.
  const json halves = {{"a", "60000000000000000000"}};
  EXPECT_TRUE(gives_up("event.properties.a + event.properties.a", halves));
  EXPECT_EQ(to_text("event.properties.a + event.properties.a", halves), "120000000000000000000.0");
  // Beyond Decimal's range: the exact path reports the error.
  const json huge = {{"a", "999999999999999999"}};
  EXPECT_TRUE(gives_up("event.properties.a * 1000", huge));
  EXPECT_THROW(to_text("event.properties.a * 1000", huge), ExpressionError);
  // A product with 20 places: 10^-20 rounds to 0 at 18.
  const json tiny = {{"a", "0.0000000001"}};
  EXPECT_TRUE(gives_up("event.properties.a * event.properties.a", tiny));
  EXPECT_EQ(to_text("event.properties.a * event.properties.a", tiny), "0.0");
  // Exponent notation, floats, booleans: the exact path reads them.
  EXPECT_EQ(to_text("event.properties.a + 1", {{"a", "1e3"}}), "1001.0");
  EXPECT_TRUE(gives_up("event.properties.a + 1", {{"a", 2.5}}));
  EXPECT_EQ(to_text("event.properties.a + 1", {{"a", 2.5}}), "3.5");
  // Errors: division by zero, text in arithmetic, a missing property.
  EXPECT_TRUE(gives_up("event.properties.a / 0", {{"a", "1"}}));
  EXPECT_THROW(to_text("event.properties.a / 0", {{"a", "1"}}), ExpressionError);
  EXPECT_TRUE(gives_up("event.properties.a + 1", {{"a", "eu"}}));
  EXPECT_THROW(to_text("event.properties.a + 1", {{"a", "eu"}}), ExpressionError);
  EXPECT_TRUE(gives_up("event.properties.b + 1", {{"a", "1"}}));
}

// The typed result a metric stores (Event::expression_result): the exact Decimal, whose Ruby
// text is what Lago stores; text stays text.
TEST(ExpressionFast, TypedResults) {
  Ev ev;
  ev.props = {{"a", "3"}, {"b", "4.25"}, {"r", "eu"}};
  tariff::expr::Result r;
  // 3 × 4.25 + 1 = 13.75.
  ASSERT_TRUE(Expression::parse("event.properties.a * event.properties.b + 1").evaluate_fast(ev.fields(), r));
  EXPECT_TRUE(r.is_number);
  EXPECT_EQ(r.number, Decimal::parse("13.75").value());
  // 4.25 / 3 = 1.416666666666666666666…: 18 places, the last rounded up.
  ASSERT_TRUE(Expression::parse("event.properties.b / 3").evaluate_fast(ev.fields(), r));
  EXPECT_EQ(r.number, Decimal::parse("1.416666666666666667").value());
  ASSERT_TRUE(Expression::parse("concat(event.properties.r, '-', event.properties.b)").evaluate_fast(ev.fields(), r));
  EXPECT_FALSE(r.is_number);
  EXPECT_EQ(r.text, "eu-4.25");
  // event.timestamp is the whole seconds the caller passes: 1700000000 / 100 = 17000000.
  ASSERT_TRUE(Expression::parse("event.timestamp / 100").evaluate_fast(ev.fields(), r));
  EXPECT_EQ(r.number, Decimal(17000000));
  // Past int64 (2^63 = 9223372036854775808) and past 10^20: the exact path's result.
  ev.props = {{"a", "9223372036854775807"}, {"big", "150000000000000000000"}};
  ASSERT_TRUE(Expression::parse("event.properties.a + 1").evaluate_fast(ev.fields(), r));
  EXPECT_EQ(r.number, Decimal::parse("9223372036854775808").value());
  const Expression big = Expression::parse("event.properties.big + 0.5");
  EXPECT_FALSE(big.evaluate_fast(ev.fields(), r));
  const tariff::expr::Result exact = big.evaluate_result(ev.fields());
  EXPECT_TRUE(exact.is_number);
  EXPECT_EQ(exact.number, Decimal::parse("150000000000000000000.5").value());
  // Division by zero: no fast answer, and the exact path fails (Lago drops the event).
  ev.props = {{"a", "1"}, {"z", "0.00"}};
  const Expression div = Expression::parse("event.properties.a / event.properties.z");
  EXPECT_FALSE(div.evaluate_fast(ev.fields(), r));
  EXPECT_THROW(div.evaluate_result(ev.fields()), ExpressionError);
}

// A snapshot event's own properties (the flat list the reader builds), read in place by the
// fast path, and the result written straight into the event's StoredResult.
struct Flat {
  tariff::Arena arena;
  tariff::PropertyList list;
  std::string code = "calls";
  Flat(std::initializer_list<std::tuple<const char*, tariff::PropertyKind, const char*>> props) {
    tariff::Property* p = arena.array<tariff::Property>(props.size());
    std::size_t i = 0;
    for (const auto& [k, kind, v] : props) p[i++].set(arena.text(k), kind, arena.text(v), arena);
    list = tariff::PropertyList(p, static_cast<uint32_t>(props.size()));
  }
  EventFields fields() const { return EventFields{code, 0, nullptr, &list}; }
};
constexpr auto kString = tariff::PropertyKind::string;
constexpr auto kInteger = tariff::PropertyKind::integer;
using Stored = Expression::Stored;

// The text a stored result holds (short text in place, long text handed back), or "" and
// the outcome when it is a number or the fast path gave up.
std::pair<Stored, std::string> stored(const std::string& src, const Flat& f, Decimal* number = nullptr) {
  tariff::expr::StoredResult out;
  std::string long_text;
  const Stored s = Expression::parse(src).evaluate_stored(f.fields(), out, long_text);
  if (s == Stored::short_text) return {s, std::string(out.text_view())};
  if (s == Stored::long_text) return {s, long_text};
  if (s == Stored::number && number) *number = out.value;
  return {s, ""};
}

TEST(ExpressionFast, FlatPropertiesStoredInPlace) {
  const Flat f{{"duration", kString, "125.5"}, {"a", kInteger, "-12"}, {"region", kString, "eu"},
               {"zeros", kString, "007"}, {"signed", kString, "+1.50"}, {"id", kString, "1a"},
               {"empty", kString, ""}, {"dash", kString, "-eu"}, {"b", kInteger, "3"}};
  // "eu" + "-" + "calls": 8 bytes, kept in place.
  EXPECT_EQ(stored("concat(event.properties.region, '-', event.code)", f),
            std::make_pair(Stored::short_text, std::string("eu-calls")));
  // bigdecimal reads "007" as 7 and "+1.50" as 1.50 (scale 2): concat prints "7" and "1.50".
  EXPECT_EQ(stored("concat(event.properties.zeros, '/', event.properties.signed)", f).second, "7/1.50");
  // Text that starts like a number ("1a", "-eu") or is empty stays text as given.
  EXPECT_EQ(stored("concat(event.properties.id, event.properties.dash, event.properties.empty, '!')", f).second,
            "1a-eu!");
  // JSON integers in place: −12 × 3 + 1 = −35; 125.5 / 60 = 2.091666… → round 2: 2.09.
  Decimal n;
  EXPECT_EQ(stored("event.properties.a * event.properties.b + 1", f, &n).first, Stored::number);
  EXPECT_EQ(n, Decimal(-35));
  EXPECT_EQ(stored("round(event.properties.duration / 60, 2)", f, &n).first, Stored::number);
  EXPECT_EQ(n, Decimal::parse("2.09").value());
  // A number inside concat: −12 × 1.5 = −18.0 (scale 0 + 1) prints "-18.0".
  EXPECT_EQ(stored("concat(event.properties.a * 1.5, 'x')", f).second, "-18.0x");
  // Past 16 bytes the text is handed back whole: "eu-calls-eu-calls" is 17.
  EXPECT_EQ(stored("concat(event.properties.region, '-', event.code, '-', event.properties.region, '-', event.code)", f),
            std::make_pair(Stored::long_text, std::string("eu-calls-eu-calls")));
  // Past the 64-byte buffer: 4 × 20 letters = 80 bytes, all of them kept.
  const std::string twenty(20, 'w');
  const std::string src = "concat('" + twenty + "', '" + twenty + "', '" + twenty + "', '" + twenty + "')";
  EXPECT_EQ(stored(src, f), std::make_pair(Stored::long_text, std::string(80, 'w')));
  // Text in arithmetic, a missing property: no fast answer (the exact path reports the error).
  EXPECT_EQ(stored("event.properties.region * 2", f).first, Stored::given_up);
  EXPECT_EQ(stored("event.properties.missing + 1", f).first, Stored::given_up);
}

TEST(ExpressionFast, FlatIntegerBeyondTheFastPath) {
  // 18446744073709551615 (2^64 − 1, 20 digits) is a JSON integer beyond the fast path's 19
  // digits: the exact path adds 1 → 18446744073709551616.
  const Flat f{{"a", kInteger, "18446744073709551615"}};
  EXPECT_EQ(stored("event.properties.a + 1", f).first, Stored::given_up);
  const tariff::expr::Result r = Expression::parse("event.properties.a + 1").evaluate_result(f.fields());
  EXPECT_EQ(r.number, Decimal::parse("18446744073709551616").value());
}

TEST(ExpressionFast, TimestampReadOnlyWhenUsed) {
  EXPECT_TRUE(Expression::parse("event.timestamp / 60").uses_timestamp());
  EXPECT_TRUE(Expression::parse("concat(event.code, event.timestamp)").uses_timestamp());
  EXPECT_FALSE(Expression::parse("concat(event.properties.region, '-', event.code)").uses_timestamp());
}

// Both paths on the same inputs: wherever the fast path answers, it answers exactly what
// the exact path (evaluate) does; where the exact path fails, the fast path gives up.
TEST(ExpressionFast, SameAsTheExactPath) {
  const std::vector<json> values = {
      "0", "-0", "0.00", "1", "-1", "1.00", "1.5", "-2.25", "60", "0.005", "7", "3",
      "12345678901234567", "-9999999999999999.99", "0.000000000000000001", "1e3", "1_000", ".5",
      "5.", "+4", "eu", "", "3.14159265358979", "99999999999999999999", 42, -17, 0};
  const std::vector<std::string> sources = {
      "a + b", "a - b", "a * b", "a / b", "-a / b", "round(a / b, 2)", "ceil(a / b, 1)",
      "floor(a * b)", "round(a, 3)", "round(a / 7, 17)", "least(a, b, 1)", "greatest(a, b, 0.5)",
      "concat(a / b, '-', b)", "concat(a * b, a)", "(a - b) / 3", "a / 7 * b", "event.timestamp / b", "a * 1 + b * 1.0"};
  int answered = 0;
  for (const std::string& s : sources) {
    // Substitute whole-word a and b only.
    std::string src;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const bool word_start = i == 0 || !std::isalpha(static_cast<unsigned char>(s[i - 1]));
      const bool word_end = i + 1 == s.size() || !std::isalpha(static_cast<unsigned char>(s[i + 1]));
      if ((s[i] == 'a' || s[i] == 'b') && word_start && word_end) {
        src += std::string("event.properties.") + s[i];
      } else {
        src += s[i];
      }
    }
    const Expression e = Expression::parse(src);
    for (const json& a : values) {
      for (const json& b : values) {
        Ev ev;
        ev.props = {{"a", a}, {"b", b}};
        std::string exact;
        bool exact_ok = true;
        try {
          const tariff::expr::Value v = e.evaluate(ev.fields());
          exact = v.is_number() ? tariff::expr::detail::ruby_text(v.number()) : v.text();
        } catch (const ExpressionError&) {
          exact_ok = false;
        }
        std::string out;
        if (e.evaluate_fast(ev.fields(), out)) {
          ++answered;
          EXPECT_TRUE(exact_ok) << src << " a=" << a.dump() << " b=" << b.dump();
          EXPECT_EQ(out, exact) << src << " a=" << a.dump() << " b=" << b.dump();
        }
      }
    }
  }
  // Most of these inputs are plain decimals: the fast path answers the bulk of them.
  EXPECT_GT(answered, 5000);
}

// The same comparison on a snapshot event's flat properties (strings, and JSON integers as
// the reader keeps them), through evaluate_stored as a metric stores its result.
TEST(ExpressionFast, FlatSameAsTheExactPath) {
  const std::vector<std::pair<tariff::PropertyKind, std::string>> values = {
      {kString, "0"}, {kString, "-0"}, {kString, "1.50"}, {kString, "-2.25"}, {kString, "60"},
      {kString, "007"}, {kString, "+4"}, {kString, ".5"}, {kString, "5."}, {kString, "1e3"},
      {kString, "1_000"}, {kString, "eu"}, {kString, ""}, {kString, "1a"}, {kString, "-eu"},
      {kString, " 5"}, {kString, "99999999999999999999"}, {kInteger, "42"}, {kInteger, "-17"},
      {kInteger, "0"}, {kInteger, "18446744073709551615"}};
  const std::vector<std::string> sources = {
      "event.properties.a * event.properties.b + 1", "round(event.properties.a / event.properties.b, 2)",
      "concat(event.properties.a, '-', event.properties.b, '-', event.code)", "event.properties.a - event.properties.b",
      "concat(event.properties.a * event.properties.b)", "greatest(event.properties.a, event.properties.b)"};
  int answered = 0;
  for (const std::string& src : sources) {
    const Expression e = Expression::parse(src);
    for (const auto& a : values) {
      for (const auto& b : values) {
        const Flat f{{"a", a.first, a.second.c_str()}, {"b", b.first, b.second.c_str()}};
        std::string exact;
        bool exact_ok = true;
        try {
          const tariff::expr::Value v = e.evaluate(f.fields());
          exact = v.is_number() ? tariff::expr::detail::ruby_text(v.number()) : v.text();
        } catch (const ExpressionError&) {
          exact_ok = false;
        }
        tariff::expr::StoredResult out;
        std::string long_text;
        const Stored s = e.evaluate_stored(f.fields(), out, long_text);
        if (s == Stored::given_up) continue;
        ++answered;
        const std::string got = s == Stored::number       ? tariff::expr::detail::ruby_text(out.value)
                                : s == Stored::short_text ? std::string(out.text_view())
                                                          : long_text;
        EXPECT_TRUE(exact_ok) << src << " a=" << a.second << " b=" << b.second;
        EXPECT_EQ(got, exact) << src << " a=" << a.second << " b=" << b.second;
      }
    }
  }
  EXPECT_GT(answered, 1000);
}

}  // namespace
