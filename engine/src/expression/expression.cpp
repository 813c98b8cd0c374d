// Parser for Lago's expression language (lago-expression's grammar.pest), compiled straight
// to a postfix program. Recursive descent mirrors the PEG rules:
//   expr    = atom (bin_op atom)*          (* / over + -, left-associative)
//   atom    = "-"? primary                 (the minus applies to the primary only)
//   primary = function | variable | decimal | string | "(" expr ")"
// Spaces (only ' ') may separate any two tokens but never split a variable, decimal or
// string. Recursion goes through "(" and function arguments only, and is bounded by
// kMaxNesting; the source is bounded by kMaxSourceLength.
#include <algorithm>
#include <cstring>

#include "tariff/expression.hpp"

namespace tariff::expr {

using detail::Instruction;
using detail::Num;
using detail::Op;

namespace {

[[noreturn]] void fail_parse(const std::string& why, std::size_t pos) {
  throw ExpressionError(kInvalidExpression, why + " at position " + std::to_string(pos));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

struct FunctionName {
  const char* spelling;
  Op op;
};

// The grammar lists exactly these spellings per function (lower, UPPER, Capitalised).
constexpr FunctionName kFunctions[] = {
    {"ceil", Op::ceil},         {"CEIL", Op::ceil},         {"Ceil", Op::ceil},
    {"concat", Op::concat},     {"CONCAT", Op::concat},     {"Concat", Op::concat},
    {"round", Op::round},       {"ROUND", Op::round},       {"Round", Op::round},
    {"floor", Op::floor},       {"FLOOR", Op::floor},       {"Floor", Op::floor},
    {"least", Op::least},       {"LEAST", Op::least},       {"Least", Op::least},
    {"greatest", Op::greatest}, {"GREATEST", Op::greatest}, {"Greatest", Op::greatest},
};

}  // namespace

class Compiler {
 public:
  explicit Compiler(std::string_view src, Expression& out) : s_(src), out_(out) {}

  void run() {
    parse_expr(0);
    skip_spaces();
    if (pos_ != s_.size()) fail_parse("unexpected character", pos_);
  }

 private:
  std::string_view s_;
  Expression& out_;
  std::size_t pos_ = 0;
  std::size_t depth_now_ = 0;  // stack slots in use after the code emitted so far

  void skip_spaces() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool starts_with(const char* lit) const {
    const std::size_t n = std::strlen(lit);
    return s_.size() - pos_ >= n && s_.compare(pos_, n, lit) == 0;
  }

  // Emits one instruction; `pops` values consumed, one pushed.
  void emit(Op op, uint32_t arg, std::size_t pops) {
    out_.program_.push_back(Instruction{op, arg});
    if (op == Op::event_timestamp) out_.uses_timestamp_ = true;
    depth_now_ = depth_now_ - pops + 1;
    out_.max_stack_ = std::max(out_.max_stack_, depth_now_);
  }

  void parse_expr(int nesting) {
    if (nesting > kMaxNesting) fail_parse("expression nested too deeply", pos_);
    parse_term(nesting);
    for (;;) {
      skip_spaces();
      if (at('+') || at('-')) {
        const Op op = at('+') ? Op::add : Op::subtract;
        ++pos_;
        parse_term(nesting);
        emit(op, 0, 2);
      } else {
        return;
      }
    }
  }

  void parse_term(int nesting) {
    parse_atom(nesting);
    for (;;) {
      skip_spaces();
      if (at('*') || at('/')) {
        const Op op = at('*') ? Op::multiply : Op::divide;
        ++pos_;
        parse_atom(nesting);
        emit(op, 0, 2);
      } else {
        return;
      }
    }
  }

  void parse_atom(int nesting) {
    skip_spaces();
    bool negate = false;
    if (at('-')) {
      negate = true;
      ++pos_;
      skip_spaces();
    }
    parse_primary(nesting);
    if (negate) emit(Op::negate, 0, 1);
  }

  void parse_primary(int nesting) {
    if (pos_ >= s_.size()) fail_parse("unexpected end of expression", pos_);
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      parse_expr(nesting + 1);
      skip_spaces();
      if (!at(')')) fail_parse("expected ')'", pos_);
      ++pos_;
      return;
    }
    if (c == '\'') return parse_string();
    if (is_digit(c)) return parse_decimal();
    if (starts_with("event.")) return parse_variable();
    if (is_alpha(c)) return parse_function(nesting);
    fail_parse("unexpected character", pos_);
  }

  void parse_string() {
    const std::size_t start = ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '\'') ++pos_;
    if (pos_ >= s_.size()) fail_parse("unterminated string", start - 1);
    out_.texts_.emplace_back(s_.substr(start, pos_ - start));
    ++pos_;
    emit(Op::push_text, static_cast<uint32_t>(out_.texts_.size() - 1), 0);
  }

  void parse_decimal() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
    int32_t scale = 0;
    // "1." is not a decimal: the '.' must be followed by a digit (left for the caller).
    if (pos_ + 1 < s_.size() && s_[pos_] == '.' && is_digit(s_[pos_ + 1])) {
      const std::size_t frac = ++pos_;
      while (pos_ < s_.size() && is_digit(s_[pos_])) ++pos_;
      scale = static_cast<int32_t>(pos_ - frac);
    }
    const auto value = Decimal::parse(s_.substr(start, pos_ - start));
    if (!value) fail_parse("number out of range", start);
    out_.numbers_.push_back(Num{*value, scale});
    emit(Op::push_number, static_cast<uint32_t>(out_.numbers_.size() - 1), 0);
  }

  void parse_variable() {
    const std::size_t start = pos_;
    pos_ += 6;  // "event."
    if (starts_with("timestamp")) {
      pos_ += 9;
      emit(Op::event_timestamp, 0, 0);
    } else if (starts_with("properties.") && pos_ + 11 < s_.size() && is_alpha(s_[pos_ + 11])) {
      pos_ += 11;
      const std::size_t name = pos_;
      while (pos_ < s_.size() && (is_alpha(s_[pos_]) || is_digit(s_[pos_]) || s_[pos_] == '_')) {
        ++pos_;
      }
      out_.texts_.emplace_back(s_.substr(name, pos_ - name));
      emit(Op::property, static_cast<uint32_t>(out_.texts_.size() - 1), 0);
    } else if (starts_with("code")) {
      pos_ += 4;
      emit(Op::event_code, 0, 0);
    } else {
      fail_parse("unknown event attribute", start);
    }
  }

  void parse_function(int nesting) {
    const std::size_t start = pos_;
    const FunctionName* fn = nullptr;
    for (const auto& f : kFunctions) {
      if (starts_with(f.spelling)) {
        fn = &f;
        break;
      }
    }
    if (fn == nullptr) fail_parse("unknown identifier", start);
    pos_ += std::strlen(fn->spelling);
    skip_spaces();
    if (!at('(')) fail_parse("expected '(' after function name", pos_);
    ++pos_;
    const std::size_t before = depth_now_;
    uint32_t args = 0;
    for (;;) {
      parse_expr(nesting + 1);
      ++args;
      skip_spaces();
      if (at(',')) {
        ++pos_;
        continue;
      }
      if (at(')')) {
        ++pos_;
        break;
      }
      fail_parse("expected ',' or ')'", pos_);
    }
    const bool rounding = fn->op == Op::round || fn->op == Op::ceil || fn->op == Op::floor;
    if (rounding && args > 2) {
      fail_parse(std::string("wrong number of arguments to ") + fn->spelling + ", expected 1..2",
                 start);
    }
    depth_now_ = before + args;
    emit(fn->op, args, args);
  }
};

Expression Expression::parse(std::string_view source) {
  if (source.size() > kMaxSourceLength) {
    throw ExpressionError(kInvalidExpression, "expression longer than " +
                                                  std::to_string(kMaxSourceLength) + " bytes");
  }
  Expression e;
  e.source_ = std::string(source);
  Compiler(e.source_, e).run();
  e.prepare_fast_literals();
  return e;
}

}  // namespace tariff::expr
