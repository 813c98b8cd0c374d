// An event's property as the calculation reads it (§2.1, §2.7): its text, and the numeric value
// of a metric's field, parsed once per event where the snapshot is read (the events' index,
// snapshot/events.cpp) and again only for events outside it (metering/aggregation.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "snapshot/snapshot.hpp"

namespace tariff {

// ^-?\d+(\.\d+)?$ (§2.1).
bool numeric_text(std::string_view s);

// Aggregations that read their metric's field as a number.
bool needs_value(Aggregation a);

// A view of a property's text (strings as is, numbers in their JSON form); nullopt when absent
// or not a scalar.
std::optional<std::string_view> property_view(const PropertyList& properties, std::string_view key);

// property_view of an event's property, its metric's expression result included (§2.7);
// `scratch` holds an expression's number as text.
std::optional<std::string_view> event_property_view(const Event& e, const std::string& key, std::string& scratch);

// An event's value for `field`: 0 when absent or not numeric, 1 numeric (in `out`), 2 numeric
// text beyond what can be billed exactly (±1.7e20; refused where it is used).
int parse_event_value(const Event& e, const std::string& field, Decimal& out);

}  // namespace tariff
