#include "metering/expression_apply.hpp"

#include <chrono>

namespace tariff {

bool apply_expression(const BillableMetric& m, Event& e) {
  const int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(e.timestamp.time_since_epoch()).count();
  expr::Result r;
  try {
    r = m.expression->evaluate_result(expr::EventFields{e.code, seconds, &e.properties});
  } catch (const std::exception&) {
    return false;
  }
  if (r.is_number) {
    e.expression_result.field = &m.field_name;
    e.expression_result.value = r.number;
  } else {
    e.expression_result.field = nullptr;
    e.properties[m.field_name] = std::move(r.text);
  }
  return true;
}

}  // namespace tariff
