// Event properties: conversions to and from the exact reader's JSON (core/event_store.hpp).
#include "core/event_store.hpp"

#include <algorithm>
#include <string>

#include "tariff/json.hpp"

namespace tariff {
namespace {

Property make(std::string_view key, const nlohmann::json& v, Arena& arena) {
  Property p;
  const std::string_view k = arena.text(key);
  if (v.is_string()) {
    p.set(k, PropertyKind::string, arena.text(v.get_ref<const std::string&>()), arena);
  } else if (v.is_number_integer()) {
    p.set(k, PropertyKind::integer, arena.text(v.dump()), arena);
  } else if (v.is_boolean()) {
    p.set(k, PropertyKind::boolean, v.get<bool>() ? "true" : "false", arena);
  } else if (v.is_null()) {
    p.set(k, PropertyKind::null, std::string_view(), arena);
  } else {  // objects, arrays (a float cannot come from the exact reader; dumped as given)
    p.set(k, v.is_array() ? PropertyKind::array : PropertyKind::object, arena.text(v.dump()), arena);
  }
  return p;
}

}  // namespace

nlohmann::json Property::to_json() const {
  const std::string_view t = text();
  switch (kind()) {
    case PropertyKind::string: return std::string(t);
    case PropertyKind::boolean: return t == "true";
    case PropertyKind::null: return nullptr;
    default: return parse_json_exact(t);  // integers, objects, arrays: their JSON text
  }
}

nlohmann::json PropertyList::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const Property& p : *this) out[std::string(p.key())] = p.to_json();
  return out;
}

PropertyList properties_from_json(const nlohmann::json& object, Arena& arena) {
  const auto* members = object.get_ptr<const nlohmann::json::object_t*>();
  if (!members || members->empty()) return PropertyList();
  Property* out = arena.array<Property>(members->size());
  uint32_t n = 0;
  for (const auto& [key, v] : *members) out[n++] = make(key, v, arena);
  return PropertyList(out, n);
}

PropertyList with_property(PropertyList list, std::string_view key, std::string_view value, Arena& arena) {
  const bool present = list.find(key) != nullptr;
  const size_t n = list.size() + (present ? 0 : 1);
  Property* out = arena.array<Property>(n);
  std::copy(list.begin(), list.end(), out);
  Property p;
  p.set(arena.text(key), PropertyKind::string, arena.text(value), arena);
  if (present) {
    for (size_t i = 0; i < list.size(); ++i)
      if (out[i].key() == key) out[i] = p;
  } else {
    out[n - 1] = p;
  }
  return PropertyList(out, static_cast<uint32_t>(n));
}

}  // namespace tariff
