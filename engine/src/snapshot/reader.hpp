// Typed field access over a JSON object with Lago-style error paths. Each getter records a
// problem in the collector and returns nullopt / a default instead of throwing, so one pass
// reports everything wrong with a snapshot.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tariff/decimal.hpp"
#include "tariff/error.hpp"
#include "tariff/time.hpp"

namespace tariff {

class Reader {
 public:
  explicit Reader(ErrorCollector& errors) : errors_(errors) {}

  static std::string at(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : path + "." + key;
  }
  static std::string at(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  // The member `key` of object `o` when present and not null, else nullptr (one lookup).
  static const nlohmann::json* field(const nlohmann::json& o, const char* key) {
    const auto* members = o.get_ptr<const nlohmann::json::object_t*>();
    if (!members) return nullptr;
    // A string_view key: the map's transparent comparator then needs no strlen per compare.
    const auto it = members->find(std::string_view(key));
    if (it == members->end() || it->second.is_null()) return nullptr;
    return &it->second;
  }
  // Present and not null.
  static bool has(const nlohmann::json& o, const char* key) { return field(o, key) != nullptr; }

  std::optional<std::string> string(const nlohmann::json& o, const char* key,
                                    const std::string& path, bool required = false);
  std::optional<Decimal> decimal(const nlohmann::json& o, const char* key, const std::string& path,
                                 bool required = false);
  std::optional<int64_t> integer(const nlohmann::json& o, const char* key, const std::string& path,
                                 bool required = false);
  bool boolean(const nlohmann::json& o, const char* key, const std::string& path, bool dflt);
  std::optional<Instant> instant(const nlohmann::json& o, const char* key, const std::string& path,
                                 bool required = false, const char* bad_code = "invalid_date");
  // An array (or absent/null → empty). Wrong type → error and nullptr.
  const nlohmann::json* array(const nlohmann::json& o, const char* key, const std::string& path,
                              bool required = false);
  const nlohmann::json* object(const nlohmann::json& o, const char* key, const std::string& path,
                               bool required = false);
  // The strings of an array field (absent/null → none); a non-string item → value_is_invalid.
  std::vector<std::string> strings(const nlohmann::json& o, const char* key, const std::string& path);
  void add(const std::string& path, const std::string& code) { errors_.add(path, code); }
  ErrorCollector& errors() { return errors_; }

 private:
  ErrorCollector& errors_;
};

// Decimal from a JSON value: integers, or strings of decimal text (exact numbers arrive as
// their text, see tariff/json.hpp). Exponents accepted when `lenient`.
std::optional<Decimal> decimal_from_json(const nlohmann::json& v, bool lenient = true);
// The strings of an array field; absent, null or non-string items are skipped (lenient).
std::vector<std::string> string_array(const nlohmann::json& o, const char* key);
// An instant from an ISO 8601 string, or Unix seconds as an integer or decimal string.
std::optional<Instant> instant_from_json(const nlohmann::json& v);

}  // namespace tariff
