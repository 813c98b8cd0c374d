// Native benchmarks of the engine's four operations over the shared snapshots in
// bench/inputs/ (events_1k.json, events_10k.json), through the public entry point
// tariff::run — the same call the CLI and the WASM module make. Names match
// bench/wasm_bench.mjs ("preview/events_1k") so bench/compare.mjs can divide by name.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "tariff/engine.hpp"
#include "tariff/expression.hpp"

namespace {

std::string read_input(const std::string& name) {
  const std::string path = std::string(TARIFF_BENCH_INPUTS) + "/" + name + ".json";
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void run_operation(benchmark::State& state, tariff::Operation op, const std::string& input) {
  const std::string snapshot = read_input(input);
  int status = 0;
  for (auto _ : state) {
    tariff::Result r = tariff::run(op, snapshot);
    status = r.status;
    benchmark::DoNotOptimize(r.body.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(snapshot.size()));
  state.counters["status"] = status;  // 200, or the error status while an operation is missing
}

// One compiled custom expression (SEMANTICS §2.7) evaluated per event to the text Lago stores
// in properties[field_name]: the per-event work of a metric with an expression. The same
// expressions and properties as bench/expression_bench.mjs (tariff in WASM vs lago-expression).
const char* const kExpressions[][2] = {
    {"round", "round(event.properties.duration / 60, 2)"},
    {"arith", "event.properties.a * event.properties.b + 1"},
    {"concat", "concat(event.properties.region, '-', event.code)"},
    {"decimal_product", "event.properties.duration * event.properties.b"},
    {"nested", "round(greatest(event.properties.a, event.properties.b) * 1.15 + least(event.properties.duration / 60, 10), 2)"},
};

void expression_eval(benchmark::State& state, const char* source) {
  const tariff::expr::Expression e = tariff::expr::Expression::parse(source);
  const nlohmann::json props = {{"duration", "125.5"}, {"a", "3"}, {"b", "4.25"}, {"region", "eu"}};
  const tariff::expr::EventFields ev{"calls", 1710000000, &props};
  for (auto _ : state) {
    tariff::expr::Result r = e.evaluate_result(ev);  // what a metric stores on its event
    benchmark::DoNotOptimize(r);
  }
}

}  // namespace

void register_read_benchmarks();  // read_bench.cpp

namespace {

void register_all() {
  for (const auto& x : kExpressions) {
    const char* source = x[1];
    benchmark::RegisterBenchmark((std::string("expression/") + x[0]).c_str(),
                                 [source](benchmark::State& s) { expression_eval(s, source); });
  }
  register_read_benchmarks();
  const tariff::Operation ops[] = {tariff::Operation::preview, tariff::Operation::current_usage,
                                   tariff::Operation::projected_usage,
                                   tariff::Operation::estimate_fees};
  for (const char* input : {"events_1k", "events_10k"}) {
    for (tariff::Operation op : ops) {
      const std::string name = std::string(tariff::operation_name(op)) + "/" + input;
      benchmark::RegisterBenchmark(name.c_str(), [op, input](benchmark::State& s) {
        run_operation(s, op, input);
      })->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
