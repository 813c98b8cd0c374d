// SEMANTICS §2.7 on one event: a metric's expression computes properties[field_name].
#pragma once

#include "snapshot/snapshot.hpp"

namespace tariff {

// Evaluates `m`'s expression (m has one and a field_name) on `e` and stores the result where
// Lago stores it, properties[field_name]: a number, or text of at most 16 bytes, stays on the
// event (Event::expression_result, which every reader of that property consults first);
// longer text goes into the properties (copied into `arena`). False when the evaluation fails: Lago then drops
// the event.
bool apply_expression(const BillableMetric& m, Event& e, Arena& arena);

}  // namespace tariff
