// Exact JSON reading and the subset comparison of `tariff check` (check.hpp).
//
// Numbers are compared by value without binary floating point: each side is reduced to a
// sign, its significant digits and a power of ten ("1.50" → +15e-1, "150e-2" → +15e-1,
// "0.0" → 0), and two numbers are equal when those are.
#include <cstring>
#include <vector>

#include "check.hpp"

namespace tariff::cli {
namespace {

using json = nlohmann::json;

// A SAX handler building a json whose fraction/exponent numbers stay text (binary values).
class ExactSax {
 public:
  json root;

  bool null() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number_integer(json::number_integer_t v) { return put(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return put(json(v)); }
  bool number_float(json::number_float_t, const std::string& text) {
    return put(json::binary(json::binary_t::container_type(text.begin(), text.end())));
  }
  bool string(std::string& v) { return put(json(std::move(v))); }
  bool binary(json::binary_t&) { return false; }
  bool start_object(std::size_t) { return open(json::object()); }
  bool key(std::string& k) {
    pending_ = &(*stack_.back())[k];
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  json* place(json&& v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    *pending_ = std::move(v);
    return pending_;
  }
  bool put(json&& v) {
    place(std::move(v));
    return true;
  }
  bool open(json&& v) {
    if (static_cast<int>(stack_.size()) >= kMaxCaseDepth) return false;
    stack_.push_back(place(std::move(v)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  std::vector<json*> stack_;
  json* pending_ = nullptr;
};

// ---- numbers by value ----
struct Number {
  bool negative = false;
  std::string digits;  // significant digits, no leading or trailing zeros; "" for zero
  long exponent = 0;   // value = digits × 10^exponent
  bool operator==(const Number& o) const {
    return negative == o.negative && digits == o.digits && exponent == o.exponent;
  }
};

// JSON number grammar, plus what Lago writes in strings: a leading '+', "3." and ".5".
std::optional<Number> parse_number(std::string_view s) {
  Number n;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) n.negative = s[i++] == '-';
  std::string mant;
  long frac_digits = 0;
  bool any = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') mant += s[i++], any = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') mant += s[i++], ++frac_digits, any = true;
  }
  if (!any) return std::nullopt;
  long exp = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (i == s.size()) return std::nullopt;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (i - start >= 9) return std::nullopt;  // beyond any amount: not compared by value
      exp = exp * 10 + (s[i++] - '0');
    }
    if (i == start) return std::nullopt;
    if (neg) exp = -exp;
  }
  if (i != s.size()) return std::nullopt;
  size_t lead = mant.find_first_not_of('0');
  if (lead == std::string::npos) return Number{};  // zero, either sign
  size_t last = mant.find_last_not_of('0');
  n.digits = mant.substr(lead, last - lead + 1);
  n.exponent = exp - frac_digits + static_cast<long>(mant.size() - 1 - last);
  return n;
}

std::string raw_text(const json& v) {
  const auto& b = v.get_binary();
  return std::string(b.begin(), b.end());
}

// A number, a number's text, or a numeric string → its value; nullopt for anything else.
std::optional<Number> numeric(const json& v) {
  if (v.is_number_integer()) return parse_number(v.dump());
  if (v.is_binary()) return parse_number(raw_text(v));
  if (v.is_string()) return parse_number(v.get_ref<const std::string&>());
  return std::nullopt;
}

void show_into(const json& v, std::string& out, size_t limit) {
  if (out.size() > limit) return;
  if (v.is_binary()) {
    out += raw_text(v);
  } else if (v.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end() && out.size() <= limit; ++it) {
      if (!first) out += ',';
      first = false;
      out += json(it.key()).dump();
      out += ':';
      show_into(it.value(), out, limit);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    for (size_t i = 0; i < v.size() && out.size() <= limit; ++i) {
      if (i) out += ',';
      show_into(v[i], out, limit);
    }
    out += ']';
  } else {
    out += v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string where(const std::string& path) { return path.empty() ? "(root)" : path; }

std::string diff_at(const json& e, const json& a, const std::string& path) {
  auto mismatch = [&] { return where(path) + ": expected " + show(e) + ", got " + show(a); };
  if (e.is_object()) {
    if (!a.is_object()) return mismatch();
    for (auto it = e.begin(); it != e.end(); ++it) {
      auto found = a.find(it.key());
      if (found == a.end())
        return join(path, it.key()) + ": expected " + show(it.value()) + ", got nothing (missing)";
      std::string d = diff_at(it.value(), *found, join(path, it.key()));
      if (!d.empty()) return d;
    }
    return "";
  }
  if (e.is_array()) {
    if (!a.is_array()) return mismatch();
    if (e.size() != a.size())
      return where(path) + ": expected " + std::to_string(e.size()) + " items, got " +
             std::to_string(a.size()) + ": " + show(a);
    for (size_t i = 0; i < e.size(); ++i) {
      std::string d = diff_at(e[i], a[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return "";
  }
  const auto en = numeric(e), an = numeric(a);
  if (en && an) return *en == *an ? "" : mismatch();
  if (e.is_binary() || a.is_binary() || e.is_number() || a.is_number()) return mismatch();
  return e == a ? "" : mismatch();
}

// Skips one JSON value of valid text from `i`; returns the index just past it.
size_t skip_value(std::string_view t, size_t i) {
  if (t[i] == '"') {
    for (++i; t[i] != '"'; ++i)
      if (t[i] == '\\') ++i;
    return i + 1;
  }
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    for (; i < t.size(); ++i) {
      const char c = t[i];
      if (c == '"') {
        i = skip_value(t, i) - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return i;
  }
  while (i < t.size() && !std::strchr(",}] \t\r\n", t[i])) ++i;
  return i;
}

size_t skip_space(std::string_view t, size_t i) {
  while (i < t.size() && std::strchr(" \t\r\n", t[i]) && t[i] != '\0') ++i;
  return i;
}

}  // namespace

json parse_exact(std::string_view text) {
  ExactSax sax;
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json, true);
  if (!ok) return json(json::value_t::discarded);
  return std::move(sax.root);
}

std::optional<std::string_view> member_text(std::string_view t, std::string_view member) {
  size_t i = skip_space(t, t.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0);  // a UTF-8 BOM, as the parser
  if (i >= t.size() || t[i] != '{') return std::nullopt;
  std::optional<std::string_view> found;
  i = skip_space(t, i + 1);
  while (i < t.size() && t[i] == '"') {
    const size_t key_end = skip_value(t, i);
    std::string_view token = t.substr(i, key_end - i);
    bool match;
    if (token.find('\\') == std::string_view::npos) {
      match = token.substr(1, token.size() - 2) == member;
    } else {
      const json k = json::parse(token, nullptr, false);
      match = k.is_string() && k.get_ref<const std::string&>() == member;
    }
    i = skip_space(t, key_end);
    if (i >= t.size() || t[i] != ':') return std::nullopt;
    i = skip_space(t, i + 1);
    if (i >= t.size()) return std::nullopt;
    const size_t value_end = skip_value(t, i);
    if (match) found = t.substr(i, value_end - i);
    i = skip_space(t, value_end);
    if (i < t.size() && t[i] == ',') i = skip_space(t, i + 1);
  }
  return found;
}

std::string show(const json& v, size_t limit) {
  std::string out;
  show_into(v, out, limit);
  if (out.size() > limit) out = out.substr(0, limit) + "...";
  return out;
}

std::string subset_diff(const json& expected, const json& actual) {
  return diff_at(expected, actual, "");
}

}  // namespace tariff::cli
