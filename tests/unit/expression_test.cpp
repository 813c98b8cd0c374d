// Custom-expression language (SEMANTICS §2.7). Every expected value is worked by hand from
// the rules in tariff/expression.hpp; the arithmetic is written next to the case.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tariff/expression.hpp"

namespace {

using nlohmann::json;
using tariff::Decimal;
using tariff::expr::EventFields;
using tariff::expr::Expression;
using tariff::expr::ExpressionError;
using tariff::expr::Value;

Decimal D(const char* s) { return *Decimal::parse(s); }

struct Ev {
  json props = json::object();
  std::string code = "api_call";
  int64_t ts = 1700000000;
  EventFields fields() const { return EventFields{code, ts, &props}; }
};

Value eval(const std::string& src, const Ev& ev = Ev{}) {
  return Expression::parse(src).evaluate(ev.fields());
}
Decimal num(const std::string& src, const Ev& ev = Ev{}) {
  Value v = eval(src, ev);
  EXPECT_TRUE(v.is_number()) << src;
  return v.is_number() ? v.number() : Decimal(-999999);
}
std::string text(const std::string& src, const Ev& ev = Ev{}) {
  Value v = eval(src, ev);
  EXPECT_FALSE(v.is_number()) << src;
  return v.is_number() ? "<number>" : v.text();
}
Ev with(json props) {
  Ev e;
  e.props = std::move(props);
  return e;
}

// Returns the error code, or "" when nothing was thrown.
std::string parse_error(const std::string& src) {
  try {
    Expression::parse(src);
  } catch (const ExpressionError& e) {
    return e.code;
  }
  return "";
}
std::string eval_error(const std::string& src, const Ev& ev = Ev{}) {
  const Expression e = Expression::parse(src);  // must parse
  try {
    e.evaluate(ev.fields());
  } catch (const ExpressionError& err) {
    return err.code;
  }
  return "";
}

const char* kInvalid = "invalid_expression";
const char* kFailed = "expression_evaluation_failed";

TEST(Expression, SemanticsExampleLeftPlusRight) {
  // §2.7: left "1" + right "2" = 3 units.
  const Ev ev = with({{"left", "1"}, {"right", "2"}});
  EXPECT_EQ(num("event.properties.left + event.properties.right", ev), Decimal(3));
  EXPECT_EQ(Expression::parse("event.properties.left + event.properties.right")
                .evaluate_to_text(ev.fields()),
            "3.0");
}

TEST(Expression, Precedence) {
  EXPECT_EQ(num("1 + 2 * 3"), Decimal(7));      // 1 + 6
  EXPECT_EQ(num("(1 + 2) * 3"), Decimal(9));    // 3 × 3
  EXPECT_EQ(num("10 - 4 - 3"), Decimal(3));     // (10 − 4) − 3, left-associative
  EXPECT_EQ(num("100 / 10 / 5"), Decimal(2));   // (100 / 10) / 5
  EXPECT_EQ(num("2 * 3 - 4 / 2"), Decimal(4));  // 6 − 2
  EXPECT_EQ(num("1 - 2 + 3"), Decimal(2));      // (1 − 2) + 3
  EXPECT_EQ(num("8 / 4 * 2"), Decimal(4));      // (8 / 4) × 2
  EXPECT_EQ(num("((1 + 2)) * (3)"), Decimal(9));
  EXPECT_EQ(num("1.5 + 2.25"), D("3.75"));
}

TEST(Expression, UnaryMinus) {
  EXPECT_EQ(num("-2 * 3"), Decimal(-6));
  EXPECT_EQ(num("- 2 + 5"), Decimal(3));   // (−2) + 5: the minus takes the primary only
  EXPECT_EQ(num("1 - -1"), Decimal(2));
  EXPECT_EQ(num("1--1"), Decimal(2));
  EXPECT_EQ(num("2 * -3"), Decimal(-6));
  EXPECT_EQ(num("-(2 + 3)"), Decimal(-5));
  EXPECT_EQ(num("-(-4)"), Decimal(4));
  EXPECT_EQ(parse_error("--1"), kInvalid);  // one minus per atom
  EXPECT_EQ(eval_error("-'a'"), kFailed);
}

TEST(Expression, Division) {
  EXPECT_EQ(num("10 / 4"), D("2.5"));
  EXPECT_EQ(num("1 / 8"), D("0.125"));
  // 1/3 and 2/3 do not terminate: rounded half away from zero at the 18th decimal.
  EXPECT_EQ(num("1 / 3"), D("0.333333333333333333"));
  EXPECT_EQ(num("2 / 3"), D("0.666666666666666667"));
  EXPECT_EQ(num("-2 / 3"), D("-0.666666666666666667"));
  EXPECT_EQ(num("0 / 7"), Decimal(0));
  EXPECT_EQ(eval_error("1 / 0"), kFailed);
  EXPECT_EQ(eval_error("0 / 0.0"), kFailed);
  EXPECT_EQ(eval_error("event.properties.a / event.properties.b", with({{"a", 5}, {"b", "0"}})),
            kFailed);
}

TEST(Expression, RoundHalfUpAndDigits) {
  EXPECT_EQ(num("round(12.5)"), Decimal(13));
  EXPECT_EQ(num("round(-12.5)"), Decimal(-13));  // half away from zero
  EXPECT_EQ(num("round(12.4)"), Decimal(12));
  EXPECT_EQ(num("round(12.345, 2)"), D("12.35"));
  EXPECT_EQ(num("round(123.456, -2)"), Decimal(100));
  EXPECT_EQ(num("round(150, -2)"), Decimal(200));
  EXPECT_EQ(num("round(149.99, -2)"), Decimal(100));
  EXPECT_EQ(num("round(-150, -2)"), Decimal(-200));
  EXPECT_EQ(num("round(12.345, 2.9)"), D("12.35"));  // digits truncated to 2
  EXPECT_EQ(num("round(1.5, 0 - 1.5)"), Decimal(0));   // digits −1.5 → −1: 1.5 → 0
  EXPECT_EQ(num("round(7, 30)"), Decimal(7));
  EXPECT_EQ(num("round(99999, -25)"), Decimal(0));
  // lago-expression's own spec: round("12.34", -1) = 10.
  EXPECT_EQ(num("round(event.properties.p, -1)", with({{"p", "12.34"}})), Decimal(10));
}

TEST(Expression, CeilFloorIncludingNegatives) {
  EXPECT_EQ(num("ceil(12.3)"), Decimal(13));
  EXPECT_EQ(num("ceil(-12.3)"), Decimal(-12));  // toward +∞
  EXPECT_EQ(num("ceil(12.351, 1)"), D("12.4"));
  EXPECT_EQ(num("ceil(123.456, -2)"), Decimal(200));
  EXPECT_EQ(num("ceil(-123.456, -2)"), Decimal(-100));
  EXPECT_EQ(num("ceil(12)"), Decimal(12));
  EXPECT_EQ(num("floor(12.7)"), Decimal(12));
  EXPECT_EQ(num("floor(-12.3)"), Decimal(-13));  // toward −∞
  EXPECT_EQ(num("floor(123.456, 2)"), D("123.45"));
  EXPECT_EQ(num("floor(-123.456, -2)"), Decimal(-200));
  EXPECT_EQ(num("floor(123.456, -2)"), Decimal(100));
  EXPECT_EQ(num("ceil(-5, -25)"), Decimal(0));
  EXPECT_EQ(eval_error("ceil(1, -25)"), kFailed);  // 10^25 is beyond Decimal
  EXPECT_EQ(eval_error("floor(-1, -25)"), kFailed);
}

TEST(Expression, RoundingArgumentErrors) {
  EXPECT_EQ(parse_error("round(1, 2, 3)"), kInvalid);
  EXPECT_EQ(parse_error("ceil()"), kInvalid);
  EXPECT_EQ(parse_error("floor(1,)"), kInvalid);
  EXPECT_EQ(eval_error("round('a')"), kFailed);
  EXPECT_EQ(eval_error("round(1, 'a')"), kFailed);
  EXPECT_EQ(eval_error("round(1, 99999)"), kFailed);  // scale beyond kMaxScale
}

TEST(Expression, LeastGreatest) {
  EXPECT_EQ(num("least(event.properties.p, 5.0)", with({{"p", "12.34"}})), Decimal(5));
  EXPECT_EQ(num("least(event.properties.p, 15.0)", with({{"p", "12.34"}})), D("12.34"));
  EXPECT_EQ(num("greatest(event.properties.p, 5.0)", with({{"p", "12.34"}})), D("12.34"));
  EXPECT_EQ(num("greatest(event.properties.p, 15.0)", with({{"p", "12.34"}})), Decimal(15));
  EXPECT_EQ(num("least(3, 1, 2)"), Decimal(1));
  EXPECT_EQ(num("greatest(-1, -5, -3)"), Decimal(-1));
  EXPECT_EQ(num("least(7)"), Decimal(7));
  EXPECT_EQ(num("least(2 * 3, 10 / 2) + 1"), Decimal(6));  // min(6, 5) + 1
  EXPECT_EQ(eval_error("least(1, 'a')"), kFailed);
  EXPECT_EQ(eval_error("greatest(event.code, 1)"), kFailed);
  EXPECT_EQ(parse_error("least()"), kInvalid);
  // Ties: least keeps the first, greatest the last (visible through the scale).
  EXPECT_EQ(text("concat(least(1.0, 1.00))"), "1.0");
  EXPECT_EQ(text("concat(greatest(1.0, 1.00))"), "1.00");
}

TEST(Expression, ConcatTextAndNumbers) {
  EXPECT_EQ(text("concat('a', 'b')"), "ab");
  EXPECT_EQ(text("concat('test', '-', round(123))"), "test-123");
  EXPECT_EQ(text("concat(event.properties.s, '-', 'suffix')", with({{"s", "test"}})),
            "test-suffix");
  EXPECT_EQ(text("concat(event.code, '-', event.timestamp)"), "api_call-1700000000");
  EXPECT_EQ(text("concat('a b,(c)+', 'é')"), "a b,(c)+é");  // anything but a quote
  EXPECT_EQ(text("concat(-1.5)"), "-1.5");
  EXPECT_EQ(text("'plain'"), "plain");
  // Concatenated text stays text, even when it reads as a number.
  EXPECT_EQ(eval_error("concat('1', '2') + 1"), kFailed);
  EXPECT_EQ(eval_error("'5' + 1"), kFailed);
}

TEST(Expression, ConcatPrintsNumbersWithTheirScale) {
  EXPECT_EQ(text("concat(1.50)"), "1.50");           // literal keeps its scale
  EXPECT_EQ(text("concat(007)"), "7");
  EXPECT_EQ(text("concat(1.5 + 2.25)"), "3.75");     // max(1, 2) = 2 decimals
  EXPECT_EQ(text("concat(0.000 + 1.5)"), "1.500");   // max(3, 1)
  EXPECT_EQ(text("concat(0.000 - 1.5)"), "-1.5");    // a = 0: −b, scale of b
  EXPECT_EQ(text("concat(1.5 - 0.000)"), "1.5");     // b = 0: a
  EXPECT_EQ(text("concat(2 * 1.50)"), "3.00");       // 0 + 2 decimals
  EXPECT_EQ(text("concat(1.0 * 2.50)"), "2.50");     // a is one: b
  EXPECT_EQ(text("concat(10 / 4)"), "2.5");
  EXPECT_EQ(text("concat(1.00 / 2)"), "0.50");       // 100 / 2 = 50 at scale 2
  EXPECT_EQ(text("concat(1 / 8)"), "0.125");
  EXPECT_EQ(text("concat(100 / 4)"), "25");
  EXPECT_EQ(text("concat(15 / 1.5)"), "10");         // 1 at scale −1
  EXPECT_EQ(text("concat(5.00 / 1.0)"), "5.00");     // divisor is one: a
  EXPECT_EQ(text("concat(1 / 3)"), "0.333333333333333333");
  EXPECT_EQ(text("concat(round(15, -1))"), "20");    // 2 at scale −1
  EXPECT_EQ(text("concat(round(1.5, 3))"), "1.500");
  EXPECT_EQ(text("concat(round(0.4))"), "0");
  EXPECT_EQ(text("concat(0.000001)"), "0.000001");   // 5 leading zeros: plain
  EXPECT_EQ(text("concat(0.0000001)"), "1E-7");      // 6 leading zeros: exponent
  EXPECT_EQ(text("concat(0.00000012)"), "1.2E-7");
}

TEST(Expression, EventAttributes) {
  Ev ev;
  ev.ts = 1700000000;  // whole seconds: Lago passes timestamp.to_i (see ExpressionApply)
  EXPECT_EQ(num("event.timestamp", ev), Decimal(1700000000));
  EXPECT_EQ(num("event.timestamp / 100", ev), Decimal(17000000));
  EXPECT_EQ(text("event.code"), "api_call");
  Ev numeric_code;
  numeric_code.code = "123";
  EXPECT_EQ(text("event.code", numeric_code), "123");
  EXPECT_EQ(eval_error("event.code + 1", numeric_code), kFailed);  // the code is never a number
}

TEST(Expression, PropertyValues) {
  const Ev ev = with({{"i", 300},
                      {"f", 1.23},
                      {"f100", 100.0},
                      {"fsmall", 0.00001},
                      {"fbig", 1e20},
                      {"s", "12.34"},
                      {"t", "abc"},
                      {"b", true},
                      {"n", nullptr},
                      {"e", "1e3"},
                      {"u", "1_000"},
                      {"dot", ".5"},
                      {"trail", "5."},
                      {"neg", "-0.25"},
                      {"plus", "+2"},
                      {"negplus", "-+5"},
                      {"space", " 1"},
                      {"empty", ""},
                      {"dots", "1.2.3"},
                      {"zeros", "0001.50"},
                      {"big", "123456789012345678901234567890"}});
  EXPECT_EQ(num("event.properties.i * 2", ev), Decimal(600));
  EXPECT_EQ(num("event.properties.f + 1", ev), D("2.23"));
  EXPECT_EQ(num("(123 - event.properties.f) / 10", ev), D("12.177"));  // lago-expression spec
  EXPECT_EQ(text("concat(event.properties.f, 'test')", ev), "1.23test");
  EXPECT_EQ(text("concat(event.properties.f100)", ev), "100.0");  // Ruby's Float#to_s
  // Ruby prints 1.0e-05: 10 at scale 6 → "0.000010"; 1.0e+20: 10 at scale −19 → "10e+19".
  EXPECT_EQ(text("concat(event.properties.fsmall)", ev), "0.000010");
  EXPECT_EQ(text("concat(event.properties.fbig)", ev), "10e+19");
  EXPECT_EQ(num("event.properties.s", ev), D("12.34"));
  EXPECT_EQ(text("event.properties.t", ev), "abc");
  EXPECT_EQ(text("event.properties.b", ev), "true");
  EXPECT_EQ(text("event.properties.n", ev), "");
  EXPECT_EQ(num("event.properties.e", ev), Decimal(1000));
  EXPECT_EQ(text("concat(event.properties.e)", ev), "1000");  // 1 at scale −3
  EXPECT_EQ(num("event.properties.u", ev), Decimal(1000));
  EXPECT_EQ(num("event.properties.dot", ev), D("0.5"));
  EXPECT_EQ(num("event.properties.trail", ev), Decimal(5));
  EXPECT_EQ(num("event.properties.neg * 4", ev), Decimal(-1));
  EXPECT_EQ(num("event.properties.plus", ev), Decimal(2));
  EXPECT_EQ(text("event.properties.negplus", ev), "-+5");
  EXPECT_EQ(text("event.properties.space", ev), " 1");
  EXPECT_EQ(text("event.properties.empty", ev), "");
  EXPECT_EQ(text("event.properties.dots", ev), "1.2.3");
  EXPECT_EQ(text("concat(event.properties.zeros)", ev), "1.50");
  // Beyond Decimal's range: still printable by concat, but no arithmetic.
  EXPECT_EQ(text("concat(event.properties.big, '!')", ev), "123456789012345678901234567890!");
  EXPECT_EQ(eval_error("event.properties.big + 1", ev), kFailed);
  EXPECT_EQ(eval_error("event.properties.big", ev), kFailed);
  EXPECT_EQ(eval_error("event.properties.t * 2", ev), kFailed);
  EXPECT_EQ(eval_error("event.properties.b + 1", ev), kFailed);
}

TEST(Expression, MissingProperty) {
  EXPECT_EQ(eval_error("event.properties.missing", with({{"other", 1}})), kFailed);
  Ev none;
  EXPECT_EQ(eval_error("event.properties.a", none), kFailed);
  EventFields no_props{"c", 0, nullptr};
  try {
    Expression::parse("event.properties.does_not_exist").evaluate(no_props);
    FAIL() << "expected a failure";
  } catch (const ExpressionError& e) {
    EXPECT_EQ(e.code, kFailed);
    EXPECT_NE(std::string(e.what()).find("does_not_exist not found"), std::string::npos);
  }
}

TEST(Expression, FunctionNameCaseVariants) {
  for (const char* f : {"round", "ROUND", "Round"}) EXPECT_EQ(num(std::string(f) + "(2.5)"), 3);
  for (const char* f : {"ceil", "CEIL", "Ceil"}) EXPECT_EQ(num(std::string(f) + "(2.1)"), 3);
  for (const char* f : {"floor", "FLOOR", "Floor"}) EXPECT_EQ(num(std::string(f) + "(2.9)"), 2);
  for (const char* f : {"least", "LEAST", "Least"}) EXPECT_EQ(num(std::string(f) + "(2, 1)"), 1);
  for (const char* f : {"greatest", "GREATEST", "Greatest"}) {
    EXPECT_EQ(num(std::string(f) + "(2, 1)"), 2);
  }
  for (const char* f : {"concat", "CONCAT", "Concat"}) {
    EXPECT_EQ(text(std::string(f) + "('x', 1)"), "x1");
  }
  for (const char* bad : {"rOUND(1)", "RoUnD(1)", "ROUNd(1)", "cEIL(1)", "Concat", "sum(1)",
                          "roundx(1)", "ceiling(1)"}) {
    EXPECT_EQ(parse_error(bad), kInvalid) << bad;
  }
}

TEST(Expression, Whitespace) {
  EXPECT_EQ(num("  1 +   2  "), Decimal(3));
  EXPECT_EQ(num("round ( 2.5 , 0 )"), Decimal(3));
  EXPECT_EQ(num("( 1 )"), Decimal(1));
  EXPECT_EQ(parse_error("1\t+ 2"), kInvalid);  // only ' ' is whitespace
  EXPECT_EQ(parse_error("1 +\n2"), kInvalid);
  EXPECT_EQ(parse_error("1 . 5"), kInvalid);
  EXPECT_EQ(parse_error("event. code"), kInvalid);
  EXPECT_EQ(parse_error("event.properties. a"), kInvalid);
}

TEST(Expression, ParseErrors) {
  for (const char* bad :
       {"", "   ", "1 +", "+ 1", "* 2", "1.", ".5", "1.1.1", "1e3", "'abc", "abc'", "\"a\"",
        "event", "event.", "event.foo", "event.properties", "event.properties.", "event.codes",
        "event.properties._x", "event.properties.1a", "event.properties.a-b", "round 1",
        "concat()", "foo(1)", "1 2", "(1", "1)", "()", "least(1,)", "round(1,2,3)", "1 +* 2",
        "1 % 2", "1 ^ 2", "-", "'a' 'b'", "concat('a' 'b')", "EVENT.code", "event.Code"}) {
    EXPECT_EQ(parse_error(bad), kInvalid) << "[" << bad << "]";
  }
  EXPECT_EQ(parse_error("1000000000000000000000"), kInvalid);  // 10^21: beyond Decimal
  EXPECT_EQ(parse_error("event.properties.a1_B2"), "");
  EXPECT_EQ(parse_error("event.timestamp"), "");
}

TEST(Expression, ArithmeticOverflowFails) {
  EXPECT_EQ(eval_error("100000000000000000000 * 100000000000000000000"), kFailed);
  EXPECT_EQ(eval_error("100000000000000000000 + 100000000000000000000"), kFailed);
  EXPECT_EQ(eval_error("1 / 0.000000000000000001 / 0.000000000000000001"), kFailed);
}

TEST(Expression, EvaluateToText) {
  const Ev ev = with({{"a", "1.5"}, {"name", "eu"}});
  auto t = [&](const char* src) { return Expression::parse(src).evaluate_to_text(ev.fields()); };
  EXPECT_EQ(t("event.properties.a * 2"), "3.0");   // BigDecimal 3 as Ruby prints it
  EXPECT_EQ(t("1 / 8"), "0.125");
  EXPECT_EQ(t("-(120)"), "-120.0");
  EXPECT_EQ(t("round(0.0000001, 7)"), "0.0000001");
  EXPECT_EQ(t("concat(event.properties.name, '-', 2.50)"), "eu-2.50");
  EXPECT_EQ(t("event.properties.name"), "eu");
  EXPECT_EQ(t("0"), "0.0");
  EXPECT_EQ(t("0 - 0.5"), "-0.5");
  // Integer part above 10^19 (two 64-bit chunks) and all 18 decimals.
  EXPECT_EQ(t("99999999999999999999.123456789012345678"),
            "99999999999999999999.123456789012345678");
  EXPECT_EQ(t("10000000000000000000.000000000000000001"),
            "10000000000000000000.000000000000000001");
}

TEST(Expression, ParseOnceEvaluateMany) {
  const Expression e = Expression::parse("round(event.properties.ms / 1000, 1)");
  for (int i = 0; i < 100; ++i) {
    json props = {{"ms", i * 50}};  // i·50 ms in seconds, rounded to 0.1
    const Value v = e.evaluate(EventFields{"c", 0, &props});
    // i·0.05 → half-up to 1 decimal: i = 1 → 0.05 → 0.1; i = 3 → 0.15 → 0.2.
    const int64_t tenths = (i * 5 + 5) / 10;  // round half up of i/2 tenths
    ASSERT_TRUE(v.is_number());
    EXPECT_EQ(v.number(), Decimal(tenths) / Decimal(10)) << i;
  }
}

TEST(Expression, HostileLengthAndDepth) {
  // Length cap: 4096 bytes parse, 4097 do not.
  std::string sum = "1";
  while (sum.size() + 2 <= tariff::expr::kMaxSourceLength) sum += "+1";
  EXPECT_EQ(sum.size(), 4095u);  // 2048 ones
  EXPECT_EQ(num(sum), Decimal(2048));
  EXPECT_EQ(parse_error(std::string(4097, ' ')), kInvalid);
  EXPECT_EQ(parse_error("1" + std::string(4096, ' ')), kInvalid);

  auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '(') + "7" +
           std::string(static_cast<std::size_t>(depth), ')');
  };
  EXPECT_EQ(num(nested(64)), Decimal(7));
  EXPECT_EQ(parse_error(nested(65)), kInvalid);
  EXPECT_EQ(parse_error(std::string(4000, '(')), kInvalid);
  EXPECT_EQ(parse_error(std::string(2000, '-') + "1"), kInvalid);

  std::string calls = "1";
  for (int i = 0; i < 64; ++i) calls = "round(" + calls + ")";
  EXPECT_EQ(num(calls), Decimal(1));
  EXPECT_EQ(parse_error("ceil(" + calls + ")"), kInvalid);

  // A wide argument list needs a deep value stack, not recursion.
  std::string wide = "least(5";
  for (int i = 0; i < 1000; ++i) wide += ",3";
  wide += ")";
  EXPECT_EQ(num(wide), Decimal(3));
}

TEST(Expression, RandomInputNeverCrashes) {
  // Fragments of the language shuffled at random: every result is a value or an
  // ExpressionError, nothing else.
  const char* pieces[] = {"1",     "2.5", "0",   "-",     "+",    "*",    "/",        "(",
                          ")",     ",",   " ",   "'x'",   "round(", "ceil(", "least(", "concat(",
                          "event.properties.a", "event.code", "event.timestamp", "'", "e",
                          ".",     "9999999999", "0.000000000000000001"};
  const json props = {{"a", "3"}};
  uint64_t state = 0x9E3779B97F4A7C15ull;
  int parsed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string src;
    const int n = 1 + static_cast<int>(state % 12);
    for (int i = 0; i < n; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      src += pieces[(state >> 33) % (sizeof(pieces) / sizeof(pieces[0]))];
    }
    try {
      const Expression e = Expression::parse(src);
      ++parsed;
      try {
        e.evaluate(EventFields{"c", 1, &props});
      } catch (const ExpressionError& err) {
        EXPECT_EQ(err.code, kFailed) << src;
      }
    } catch (const ExpressionError& err) {
      EXPECT_EQ(err.code, kInvalid) << src;
    }
  }
  EXPECT_GT(parsed, 0);
}

TEST(ExpressionNumber, FormatLikeBigDecimalDisplay) {
  using tariff::expr::detail::format_digits;
  EXPECT_EQ(format_digits("150", 2, false), "1.50");
  EXPECT_EQ(format_digits("12", -1, false), "120");
  EXPECT_EQ(format_digits("1", 6, false), "0.000001");
  EXPECT_EQ(format_digits("1", 7, false), "1E-7");
  EXPECT_EQ(format_digits("123", 10, true), "-1.23E-8");   // 7 leading zeros
  EXPECT_EQ(format_digits("1", -15, false), "1000000000000000");
  EXPECT_EQ(format_digits("1", -16, false), "1e+16");
  EXPECT_EQ(format_digits("0", 5, false), "0");
}

TEST(ExpressionNumber, ParseLikeBigDecimalFromStr) {
  using tariff::expr::detail::Num;
  using tariff::expr::detail::NumberKind;
  using tariff::expr::detail::parse_number;
  Num n;
  ASSERT_EQ(parse_number("2.5E-2", n), NumberKind::number);
  EXPECT_EQ(n.value, D("0.025"));
  EXPECT_EQ(n.scale, 3);  // 1 decimal + 2 from the exponent
  ASSERT_EQ(parse_number("-12e+2", n), NumberKind::number);
  EXPECT_EQ(n.value, Decimal(-1200));
  EXPECT_EQ(n.scale, -2);
  ASSERT_EQ(parse_number("0.1234567890123456785", n), NumberKind::number);
  EXPECT_EQ(n.value, D("0.123456789012345679"));  // 19th decimal 5 rounds up
  for (const char* bad : {"", ".", "e5", "1e", "1e+", "_1", "a1", "1 ", "1.5.", "--1", "1e1.5"}) {
    EXPECT_EQ(parse_number(bad, n), NumberKind::not_number) << bad;
  }
  std::string big;
  // 21-digit integers: 10^20 and 1.7 × 10^20 fit; 2 × 10^20 is past the max, and 4..9 × 10^20
  // overflowed the 128-bit term itself (9 × 10^38 wrapped to a smaller, wrong value).
  ASSERT_EQ(parse_number("100000000000000000000", n), NumberKind::number);
  ASSERT_EQ(parse_number("170141183460469231731.687303715884105727", n), NumberKind::number);
  EXPECT_EQ(n.value.to_string(), "170141183460469231731.687303715884105727");
  EXPECT_EQ(parse_number("170141183460469231731.687303715884105728", n), NumberKind::out_of_range);
  for (const char* over : {"200000000000000000000", "400000000000000000000", "900000000000000000000",
                           "9e20", "-900000000000000000000"})
    EXPECT_EQ(parse_number(over, n), NumberKind::out_of_range) << over;
  EXPECT_EQ(parse_number("1e25", n, &big), NumberKind::out_of_range);
  EXPECT_EQ(big, "1e+25");
  ASSERT_EQ(parse_number("0e-99999", n), NumberKind::number);
  EXPECT_TRUE(n.value.is_zero());
}

}  // namespace
