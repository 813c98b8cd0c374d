// The operations over a parsed snapshot document. Each returns the result document
// or throws Failure with an error document; engine.cpp maps everything else.
#pragma once

#include <nlohmann/json.hpp>

namespace tariff::ops {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

ordered_json current_usage(json& snapshot);
ordered_json projected_usage(json& snapshot);
ordered_json preview(json& snapshot);
ordered_json estimate_fees(json& snapshot);
ordered_json bill(json& snapshot);  // docs/billing.md
ordered_json lifetime_usage(json& snapshot);  // docs/progressive_billing.md
// Its document is written as text already: a raw_json() value (core/json_write.hpp), for write_json.
ordered_json compare_plans(json& snapshot);  // docs/compare_plans.md

}  // namespace tariff::ops
