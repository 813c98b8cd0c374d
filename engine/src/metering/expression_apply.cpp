#include "metering/expression_apply.hpp"

#include <chrono>

#include "snapshot/event_store.hpp"

namespace tariff {

bool apply_expression(const BillableMetric& m, Event& e, Arena& arena) {
  const int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(e.timestamp.time_since_epoch()).count();
  expr::Result r;
  try {
    r = m.expression->evaluate_result(expr::EventFields{e.code, seconds, nullptr, &e.properties});
  } catch (const std::exception&) {
    return false;
  }
  expr::StoredResult& out = e.expression_result;
  if (r.is_number) {
    out.field = &m.field_name;
    out.text_size = -1;
    out.value = r.number;
  } else if (r.text.size() <= expr::StoredResult::kMaxText) {
    out.field = &m.field_name;
    out.text_size = static_cast<int8_t>(r.text.size());
    r.text.copy(out.text, r.text.size());
  } else {
    out.field = nullptr;
    e.properties = with_property(e.properties, m.field_name, r.text, arena);
  }
  return true;
}

}  // namespace tariff
