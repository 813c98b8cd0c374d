// Building an ordered_json object whose keys are known to be distinct, in the order given.
// ordered_json's operator[] looks every key up with a linear scan of the keys already there
// (an object of n keys costs n²/2 string comparisons); this appends to the underlying vector
// instead. Debug builds assert that a key is not there yet.
#pragma once

#include <cassert>
#include <utility>

#include <nlohmann/json.hpp>

namespace tariff {

class JsonObject {
 public:
  using ojson = nlohmann::ordered_json;

  explicit JsonObject(std::size_t size_hint) : value_(ojson::object()), map_(value_.get_ref<ojson::object_t&>()) {
    map_.reserve(size_hint);
  }
  JsonObject(const JsonObject&) = delete;
  JsonObject& operator=(const JsonObject&) = delete;

  JsonObject& add(const char* key, ojson value) {
    assert(map_.find(key) == map_.end());
    map_.emplace_back(key, std::move(value));
    return *this;
  }
  ojson take() { return std::move(value_); }

 private:
  ojson value_;
  ojson::object_t& map_;
};

}  // namespace tariff
