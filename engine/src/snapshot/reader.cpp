#include "snapshot/reader.hpp"

namespace tariff {

using json = nlohmann::json;

std::optional<Decimal> decimal_from_json(const json& v, bool lenient) {
  try {
    if (v.is_number_integer()) {
      if (v.is_number_unsigned()) {
        const auto u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(INT64_MAX)) return Decimal::parse(std::to_string(u));
        return Decimal(static_cast<int64_t>(u));
      }
      return Decimal(v.get<int64_t>());
    }
    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (s.size() > 64) return std::nullopt;
      return lenient ? Decimal::parse_lenient(s) : Decimal::parse(s);
    }
  } catch (const DecimalError&) {
  }
  return std::nullopt;
}

std::vector<std::string> string_array(const json& o, const char* key) {
  std::vector<std::string> out;
  if (o.is_object() && o.contains(key) && o[key].is_array())
    for (const auto& v : o[key])
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::optional<Instant> instant_from_json(const json& v) {
  if (v.is_number_integer()) {
    const int64_t s = v.is_number_unsigned() ? static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX))
                                             : v.get<int64_t>();
    if (s < 0 || s > 253402300799LL) return std::nullopt;  // up to 9999-12-31
    return parse_instant(std::to_string(s));
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > 64) return std::nullopt;
    return parse_instant(s);
  }
  return std::nullopt;
}

std::optional<std::string> Reader::string(const json& o, const char* key, const std::string& path,
                                          bool required) {
  const json* f = field(o, key);
  if (!f) {
    if (required) add(at(path, key), "value_is_mandatory");
    return std::nullopt;
  }
  const json& v = *f;
  if (!v.is_string()) {
    add(at(path, key), "value_is_invalid");
    return std::nullopt;
  }
  if (required && v.get_ref<const std::string&>().empty()) {
    add(at(path, key), "value_is_mandatory");
    return std::nullopt;
  }
  return v.get<std::string>();
}

std::optional<Decimal> Reader::decimal(const json& o, const char* key, const std::string& path,
                                       bool required) {
  const json* f = field(o, key);
  if (!f) {
    if (required) add(at(path, key), "value_is_mandatory");
    return std::nullopt;
  }
  auto d = decimal_from_json(*f);
  if (!d) add(at(path, key), "value_is_invalid");
  return d;
}

std::optional<int64_t> Reader::integer(const json& o, const char* key, const std::string& path,
                                       bool required) {
  const json* f = field(o, key);
  if (!f) {
    if (required) add(at(path, key), "value_is_mandatory");
    return std::nullopt;
  }
  auto d = decimal_from_json(*f, false);
  if (!d || !d->is_integer()) {
    add(at(path, key), "value_is_invalid");
    return std::nullopt;
  }
  try {
    const int64_t v = d->to_int64();
    if (v > 1000000000000000000LL || v < -1000000000000000000LL) {  // 10^18 cents: hostile
      add(at(path, key), "value_is_invalid");
      return std::nullopt;
    }
    return v;
  } catch (const DecimalError&) {
    add(at(path, key), "value_is_invalid");
    return std::nullopt;
  }
}

bool Reader::boolean(const json& o, const char* key, const std::string& path, bool dflt) {
  const json* f = field(o, key);
  if (!f) return dflt;
  const json& v = *f;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {  // Lago's params accept "true"/"false"
    if (v == "true") return true;
    if (v == "false") return false;
  }
  add(at(path, key), "value_is_invalid");
  return dflt;
}

std::optional<Instant> Reader::instant(const json& o, const char* key, const std::string& path,
                                       bool required, const char* bad_code) {
  const json* f = field(o, key);
  if (!f) {
    if (required) add(at(path, key), "value_is_mandatory");
    return std::nullopt;
  }
  auto t = instant_from_json(*f);
  if (!t) add(at(path, key), bad_code);
  return t;
}

std::vector<std::string> Reader::strings(const json& o, const char* key, const std::string& path) {
  std::vector<std::string> out;
  const json* arr = array(o, key, path);
  if (!arr) return out;
  for (size_t i = 0; i < arr->size(); ++i) {
    if ((*arr)[i].is_string()) out.push_back((*arr)[i].get<std::string>());
    else add(at(at(path, key), i), "value_is_invalid");
  }
  return out;
}

const json* Reader::array(const json& o, const char* key, const std::string& path, bool required) {
  static const json kEmpty = json::array();
  const json* f = field(o, key);
  if (!f) {
    if (required) add(at(path, key), "value_is_mandatory");
    return &kEmpty;
  }
  const json& v = *f;
  if (!v.is_array()) {
    add(at(path, key), "value_is_invalid");
    return nullptr;
  }
  return &v;
}

const json* Reader::object(const json& o, const char* key, const std::string& path, bool required) {
  const json* f = field(o, key);
  if (!f) {
    if (required) add(at(path, key), "value_is_mandatory");
    return nullptr;
  }
  const json& v = *f;
  if (!v.is_object()) {
    add(at(path, key), "value_is_invalid");
    return nullptr;
  }
  return &v;
}

}  // namespace tariff
