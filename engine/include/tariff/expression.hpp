// Custom billable-metric expressions (SEMANTICS §2.7), Lago's `lago-expression` language.
//
// A metric with an `expression` computes `properties[field_name]` for every event from the
// event itself, e.g. `round(event.properties.duration / 60, 2)` or
// `concat(event.properties.region, '-', event.code)`. The language:
//   - literals: decimals `\d+(\.\d+)?` (no sign, exponent or leading dot), `'strings'`
//     (no escapes; anything but a quote inside);
//   - `event.code` (always text), `event.timestamp` (Unix seconds, a number),
//     `event.properties.NAME` (NAME = ASCII letter, then letters, digits, `_`); a property
//     whose text reads as a decimal (Rust bigdecimal's syntax: sign, `.5`, `1e3`, `1_000`)
//     is a number, otherwise it stays text;
//   - `+ - * /` (`* /` bind tighter, all left-associative), unary minus on one operand,
//     parentheses; only the space character separates tokens;
//   - functions, spelled lower, UPPER or Capitalised: round/ceil/floor(x[, digits]) (digits
//     default 0, may be negative; round is half away from zero), least(...), greatest(...)
//     (numbers only), concat(...) (joins the text of its arguments; numbers are printed as
//     Rust's bigdecimal prints them, keeping their scale: `concat(1.50)` is "1.50").
// Arithmetic on text, a missing property and division by zero fail the evaluation (Lago
// rejects the event). Text is never read as a number except a property value.
//
// Differences from Lago's arbitrary-precision bigdecimal, all on exotic input:
//   - values are tariff::Decimal: 18 decimals, magnitude below 1.7e20. A quotient that does
//     not terminate within 18 decimals is rounded half away from zero at the 18th (Lago keeps
//     100 significant digits), and so is a product or literal with more decimals. Such a
//     quotient prints with 18 decimals inside concat(). A value out of range fails the
//     evaluation (a literal out of range fails the parse), except that a property beyond
//     range can still be printed by concat() (long numeric ids).
//   - a JSON float property is read through Ruby's Float#to_s text ("100.0", "1.0e+20"),
//     as Lago's binding does; arrays/objects read as their JSON text (Ruby prints inspect).
//   - hostile input is bounded: source at most kMaxSourceLength bytes, parentheses and
//     function calls nested at most kMaxNesting deep (else invalid_expression); a number's
//     scale beyond ±kMaxScale fails the evaluation instead of allocating without bound.
//
// Parse once, evaluate per event: parse() compiles to a flat postfix program; evaluate()
// runs it over a value stack sized at compile time (on the C++ stack up to 8 slots), with
// no tree walk; numbers, property strings and literals are read in place, so only concat()
// results allocate. evaluate_result() tries the fast path first (expression_fast.cpp: 64/128-bit
// mantissas, literals converted at parse time) and falls back to the exact one; a metric keeps
// the result typed on its event (StoredResult), never re-parsing its text. Per snapshot event,
// evaluate_stored() runs the fast path on the event's own flat properties and writes the
// result straight into its StoredResult (concat() joins into a fixed buffer): no allocation,
// no exception, for every result of at most 16 bytes of text or any number in range.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"

namespace tariff {
class PropertyList;  // engine-internal (core/event_store.hpp)
}  // namespace tariff

namespace tariff::expr {

constexpr std::size_t kMaxSourceLength = 4096;
constexpr int kMaxNesting = 64;
constexpr int kMaxScale = 4096;

// code: "invalid_expression" (parse) or "expression_evaluation_failed" (evaluation).
struct ExpressionError : std::runtime_error {
  ExpressionError(std::string error_code, const std::string& message)
      : std::runtime_error(message), code(std::move(error_code)) {}
  std::string code;
};

inline constexpr const char* kInvalidExpression = "invalid_expression";
inline constexpr const char* kEvaluationFailed = "expression_evaluation_failed";

struct Value {
  std::variant<Decimal, std::string> v;
  bool is_number() const { return v.index() == 0; }
  const Decimal& number() const { return std::get<0>(v); }
  const std::string& text() const { return std::get<1>(v); }
};

struct EventFields {
  std::string_view code;
  int64_t timestamp = 0;  // Unix seconds, as Lago's `timestamp.to_i`
  const nlohmann::json* properties = nullptr;  // an object; null means no properties
  // Or a snapshot event's own properties (engine-internal flat list), read in place.
  const PropertyList* flat_properties = nullptr;
};

// A property's value as the evaluator reads it, whatever the event's representation:
// read_property (expression_eval.cpp) is the evaluators' only access to an event's properties.
struct PropertyValue {
  enum class Kind : uint8_t { string, integer, unsigned_integer, floating, boolean, null, other };
  Kind kind = Kind::null;
  std::string_view text;  // string: its text; other (array, object): its JSON text
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  double floating = 0;
  bool boolean = false;
};
// False when the event has no property `name`. `scratch` may receive text `out` views.
bool read_property(const EventFields& event, const std::string& name, PropertyValue& out, std::string& scratch);

// An evaluation's result as Lago stores it in properties[field_name]: a number (Lago keeps
// BigDecimal#to_s of it, detail::ruby_text) or text.
struct Result {
  bool is_number = true;
  Decimal number;
  std::string text;  // when !is_number
};

// A result kept on its event (tariff::Event::expression_result) instead of its text in
// properties[field]: a number exact, or a short text in place (no allocation). Readers of
// `field` see exactly what they would read back from Lago's stored text: a number's
// detail::ruby_text as text and the number itself as value (metering/aggregation.cpp).
struct StoredResult {
  static constexpr std::size_t kMaxText = 16;  // longer text goes into properties
  const std::string* field = nullptr;  // the metric's field_name (owned by the snapshot); null: none
  int8_t text_size = -1;               // −1: a number, in value; else text[0, text_size)
  union {
    Decimal value;
    char text[kMaxText];
  };
  StoredResult() : value() {}
  bool holds(const std::string& key) const { return field != nullptr && (field == &key || *field == key); }
  bool is_number() const { return text_size < 0; }
  std::string_view text_view() const { return {text, static_cast<std::size_t>(text_size)}; }
};

namespace detail {

// A number as bigdecimal sees it: the value and its scale (digits after the point; negative
// means trailing zeros before it). The scale only matters when the number is printed.
struct Num {
  Decimal value;
  int32_t scale = 0;
};

enum class NumberKind { not_number, number, out_of_range };
// Rust bigdecimal's `str::parse` on a property value: [sign] digits [. digits] [e exp],
// `_` allowed after the first digit, ".5" and "5." accepted. out_of_range: a number that
// Decimal cannot hold (or a scale beyond ±kMaxScale); `big_display`, if given, receives its
// Display text so that concat() can still print it.
NumberKind parse_number(std::string_view text, Num& out, std::string* big_display = nullptr);
// Rust bigdecimal's Display: "1.50", "120", "1E-7", "12e+16", "0".
std::string format_number(const Num& n);
// Ruby's BigDecimal#to_s as Lago stores a result: "3.0", "0.125", "-120.0" (the same text
// as Decimal::to_string, produced without 128-bit division per digit).
std::string ruby_text(const Decimal& d);
// Display for an unscaled magnitude given as digits (no leading zeros) and a scale.
std::string format_digits(const std::string& digits, int64_t scale, bool negative);

enum class Op : uint8_t {
  push_number,   // arg: index into numbers
  push_text,     // arg: index into texts
  event_code,
  event_timestamp,
  property,      // arg: index into texts (the property name)
  negate,
  add,
  subtract,
  multiply,
  divide,
  round,         // arg: argument count (1 or 2)
  ceil,
  floor,
  least,         // arg: argument count (>= 1)
  greatest,
  concat,
};

struct Instruction {
  Op op;
  uint32_t arg;
};

// A literal as the fast path's (magnitude, scale, sign), made once at parse time.
struct FastLiteral {
  uint128 magnitude = 0;
  int32_t scale = 0;
  bool negative = false;
  bool usable = false;  // false: the fast path gives up on it
};

// The fast path's result: a number, or text viewed in place (a literal, the event's code, a
// property string) or, for concat(), written into `buffer` (into `spill` past kBuffer bytes).
// No allocation unless a concat() result is longer than kBuffer or prints a number.
struct FastOut {
  static constexpr std::size_t kBuffer = 64;
  bool is_number = true;
  Decimal number;
  std::string_view text;  // when !is_number
  std::string spill;
  char buffer[kBuffer];
};

}  // namespace detail

class Expression {
 public:
  // Throws ExpressionError("invalid_expression").
  static Expression parse(std::string_view source);

  // Throws ExpressionError("expression_evaluation_failed").
  Value evaluate(const EventFields& event) const;

  // What Lago stores in event.properties[field_name], typed: the fast path's result when it
  // has one, else the exact path's. Throws ExpressionError("expression_evaluation_failed").
  Result evaluate_result(const EventFields& event) const;

  // evaluate_result as the text Lago stores: a number as Ruby's BigDecimal#to_s prints it
  // once Lago has converted the result ("3.0", "0.125", "-120.0"), text as is.
  std::string evaluate_to_text(const EventFields& event) const;

  // The fast path (expression_fast.cpp: the program over 64/128-bit integer mantissas at
  // bigdecimal's own scale): true and `out` set when every step stays within its bounds,
  // false (out unspecified) otherwise, errors included, leaving the exact path to compute
  // the result or report the error. evaluate_result tries it first.
  bool evaluate_fast(const EventFields& event, Result& out) const;
  // The same, as evaluate_to_text's text.
  bool evaluate_fast(const EventFields& event, std::string& out) const;
  // The fast path straight into an event's stored result (snapshot/expression_apply): a
  // number in out.value, or text of at most StoredResult::kMaxText bytes in out.text; longer
  // text in `long_text`. out.field is left to the caller. given_up: the exact path must run
  // (out unspecified).
  enum class Stored : uint8_t { given_up, number, short_text, long_text };
  Stored evaluate_stored(const EventFields& event, StoredResult& out, std::string& long_text) const;
  // numbers_ as fast_numbers_ (parse() calls it once the program is compiled).
  void prepare_fast_literals();
  // Whether the program reads event.timestamp (else EventFields::timestamp is not read).
  bool uses_timestamp() const { return uses_timestamp_; }

  const std::string& source() const { return source_; }

 private:
  friend class Compiler;
  std::string source_;
  std::vector<detail::Instruction> program_;
  std::vector<detail::Num> numbers_;
  std::vector<detail::FastLiteral> fast_numbers_;  // numbers_ for the fast path (expression_fast.cpp)
  std::vector<std::string> texts_;
  std::size_t max_stack_ = 0;
  bool uses_timestamp_ = false;

  bool fast_core(const EventFields& event, detail::FastOut& out) const;  // expression_fast.cpp
};

}  // namespace tariff::expr
