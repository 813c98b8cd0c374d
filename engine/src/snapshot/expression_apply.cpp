#include "snapshot/expression_apply.hpp"

#include <chrono>

#include "core/event_store.hpp"

namespace tariff {

namespace {

int64_t unix_seconds(const Event& e) {
  return std::chrono::duration_cast<std::chrono::seconds>(e.timestamp.time_since_epoch()).count();
}

// The exact path (expression_eval.cpp), when the fast one gives up: Lago's result or error.
bool apply_exact(const BillableMetric& m, const expr::EventFields& fields, Event& e, expr::StoredResult& out,
                 Arena& arena) {
  expr::Result r;
  try {
    r = m.expression->evaluate_result(fields);
  } catch (const std::exception&) {
    return false;
  }
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

}  // namespace

bool apply_expression(const BillableMetric& m, Event& e, Arena& arena) {
  const expr::Expression& x = *m.expression;
  const expr::EventFields fields{e.code, x.uses_timestamp() ? unix_seconds(e) : 0, nullptr, &e.properties};
  // The fast path writes the result in place; nothing is allocated unless the text is long.
  std::string long_text;
  expr::StoredResult& out = e.extra_in(arena).expression_result;
  switch (x.evaluate_stored(fields, out, long_text)) {
    case expr::Expression::Stored::number:
    case expr::Expression::Stored::short_text:
      out.field = &m.field_name;
      return true;
    case expr::Expression::Stored::long_text:
      out.field = nullptr;
      e.properties = with_property(e.properties, m.field_name, long_text, arena);
      return true;
    case expr::Expression::Stored::given_up:
      break;
  }
  return apply_exact(m, fields, e, out, arena);
}

}  // namespace tariff
