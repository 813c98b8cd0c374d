// Progressive billing operations (docs/progressive_billing.md): the `progressive_billing`
// reason of `bill` (bill_progressive.cpp) and the `lifetime_usage` operation (lifetime_usage.cpp,
// declared in operations.hpp).
#pragma once

#include "operations/bill.hpp"

namespace tariff::billing {

// request.invoicing_reason == "progressive_billing".
bool is_progressive_request(const nlohmann::json& doc);
// The progressive invoice due at request.billing_at, if a threshold is passed (see the .cpp).
nlohmann::ordered_json progressive_billing(Snapshot& s, const InputIds& ids);

}  // namespace tariff::billing
