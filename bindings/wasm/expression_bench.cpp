// A benchmark-only module (target tariff_expression_bench, not built by default, not shipped):
// applies the metric's compiled custom expression to every event of a snapshot `reps` times,
// exactly as reading a snapshot does (snapshot/expression_apply: read the event's properties
// in place, evaluate exactly, store the result on the event), and nothing else. With the
// time of reps = 0 (reading the snapshot alone) subtracted, bench/expression_bench.mjs gets
// the cost per event of an expression from a loop of hundreds of thousands of evaluations
// rather than from the difference of two whole calculations, which is noise on a busy machine.
//   applyExpressions(snapshot_json, reps) -> evaluations that succeeded (-1: unreadable snapshot)
#include <emscripten/bind.h>

#include <string>

#include "snapshot/expression_apply.hpp"
#include "snapshot/snapshot.hpp"
#include "tariff/json.hpp"

namespace {

double apply_expressions(const std::string& text, int reps) {
  try {
    nlohmann::json doc = tariff::parse_json_exact(text);
    tariff::Snapshot s = tariff::parse_snapshot(doc);
    const tariff::BillableMetric* m = nullptr;
    for (const tariff::BillableMetric& x : s.billable_metrics)
      if (x.expression && !x.field_name.empty()) m = &x;
    if (m == nullptr) return -1;
    double ok = 0;
    for (int r = 0; r < reps; ++r)
      for (tariff::Event& e : s.events) ok += tariff::apply_expression(*m, e, *s.arena) ? 1 : 0;
    return ok;
  } catch (...) {
    return -1;
  }
}

}  // namespace

EMSCRIPTEN_BINDINGS(tariff_expression_bench) {
  emscripten::function("applyExpressions", &apply_expressions);
}
