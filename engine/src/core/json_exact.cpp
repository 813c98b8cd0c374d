#include "core/json_exact.hpp"

#include <vector>

namespace tariff {
namespace {

using json = nlohmann::json;

// A SAX handler that builds the document; numbers with a fraction keep their text.
class ExactBuilder : public nlohmann::json_sax<json> {
 public:
  json root;
  bool failed = false;

  bool null() override { return put(json(nullptr)); }
  bool boolean(bool v) override { return put(json(v)); }
  bool number_integer(number_integer_t v) override { return put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return put(json(v)); }
  bool number_float(number_float_t, const string_t& text) override { return put(json(text)); }
  bool string(string_t& v) override { return put(json(std::move(v))); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    failed = true;
    return false;
  }

 private:
  std::vector<json*> stack_;
  std::string key_;

  json* place(json&& v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    // Duplicate keys: the last one wins, as in most parsers. The key is moved, not copied.
    auto& members = *parent.get_ptr<json::object_t*>();
    return &members.insert_or_assign(std::move(key_), std::move(v)).first->second;
  }
  bool put(json&& v) {
    place(std::move(v));
    return true;
  }
  bool open(json&& v) {
    if (static_cast<int>(stack_.size()) >= kMaxJsonDepth) {
      failed = true;
      return false;
    }
    stack_.push_back(place(std::move(v)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
};

}  // namespace

nlohmann::json parse_json_exact(std::string_view text) {
  ExactBuilder b;
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &b, json::input_format_t::json, true);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok || b.failed) return json(json::value_t::discarded);
  return std::move(b.root);
}

}  // namespace tariff
