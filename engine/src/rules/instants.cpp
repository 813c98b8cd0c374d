// Event timestamps for the surfaces: the snapshot reader's own reading of an instant, so an
// event accepted at ingestion is one every calculation can place in time.
#include "snapshot/reader.hpp"
#include "tariff/rules.hpp"

namespace tariff::rules {

std::optional<Instant> event_timestamp(const nlohmann::json& value) { return instant_from_json(value); }

}  // namespace tariff::rules
