// The expression evaluator's fast path (integer mantissas at bigdecimal's scale): the text it
// produces, worked by hand below, and where it hands over to the exact path (overflow, scale
// beyond 18 places, exotic properties, errors) so that evaluate_to_text never changes.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

}  // namespace
