// Two writers with one interface, so a shape (Lago's Invoice, Fee...) is written once, as a
// template over the writer, and either built as an ordered_json tree (JsonTree, here: for the
// operations that change or read what they built) or written straight to text (JsonText,
// core/json_write.hpp: the same bytes write_json() gives for that tree, without the tree).
//
//   w.begin_object();
//   w.field("lago_id", nullptr);          // null
//   w.field("amount_cents", int64_t{5});  // integers, bool, strings, double, an ojson subtree
//   w.field("item_id", id);               // const std::string*: null when nullptr
//   w.field("units", decimal);            // a Decimal: its to_string() text
//   w.begin_object("item"); ... w.end_object();
//   w.begin_array("fees"); w.value(...); ... w.end_array();
//   w.end_object();
//
// Keys are appended in the order given and must be distinct (ordered_json's operator[] would
// scan the keys already there; debug builds assert it).
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"

namespace tariff {

class JsonTree {
 public:
  using ojson = nlohmann::ordered_json;

  void begin_object() { open(ojson::object()); }
  void begin_array() { open(ojson::array()); }
  void begin_object(const char* k) { key(k), begin_object(); }
  void begin_array(const char* k) { key(k), begin_array(); }
  void end_object() { close(); }
  void end_array() { close(); }
  void key(const char* k) { key_ = k; }

  void value(std::nullptr_t) { put(ojson(nullptr)); }
  void value(bool b) { put(ojson(b)); }
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  void value(T v) {
    put(ojson(v));
  }
  void value(double v) { put(ojson(v)); }
  void value(const char* s) { put(ojson(s)); }
  void value(std::string_view s) { put(ojson(std::string(s))); }
  void value(const std::string& s) { put(ojson(s)); }
  void value(const std::string* s) { s ? put(ojson(*s)) : put(ojson(nullptr)); }
  void value(const std::optional<std::string>& s) { value(s ? &*s : nullptr); }
  void value(const ojson& v) { put(v); }
  void value(const Decimal& d) { put(ojson(d.to_string())); }  // its text, a JSON string
  void value(ojson&& v) { put(std::move(v)); }
  template <class T>
  void field(const char* k, T&& v) {
    key(k);
    value(std::forward<T>(v));
  }

  ojson take() { return std::move(root_); }  // after the outermost end_*()

 private:
  ojson* put(ojson v) {
    if (stack_.empty()) return &(root_ = std::move(v));
    ojson& top = *stack_.back();
    if (top.is_array()) {
      auto& a = top.get_ref<ojson::array_t&>();
      a.push_back(std::move(v));
      return &a.back();
    }
    auto& m = top.get_ref<ojson::object_t&>();
    assert(key_ && m.find(key_) == m.end());
    m.emplace_back(key_, std::move(v));
    return &m.back().second;
  }
  void open(ojson v) { stack_.push_back(put(std::move(v))); }
  void close() { stack_.pop_back(); }

  ojson root_;
  std::vector<ojson*> stack_;
  const char* key_ = nullptr;
};

}  // namespace tariff
