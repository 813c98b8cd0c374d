// Native benchmarks of the engine's four operations over the shared snapshots in
// bench/inputs/ (events_1k.json, events_10k.json), through the public entry point
// tariff::run — the same call the CLI and the WASM module make. Names match
// bench/wasm_bench.mjs ("preview/events_1k") so bench/compare.mjs can divide by name.
// current_usage/calculation/events_* (1k to 1M, the larger ones from $TARIFF_BENCH_LARGE_INPUTS):
// the calculation alone on a snapshot read once, ns_per_event per size.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"
#include "tariff/engine.hpp"
#include "tariff/expression.hpp"
#include "usage/current_usage.hpp"
#include "usage/subscription_dates.hpp"

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

// current_usage's calculation alone, per size (issue 10 §4: cost per event flat from 1k to
// 1M events): the snapshot read once (events indexed by subscription and code, each value
// parsed, as reading does), then every charge aggregated, priced, taxed and written as the
// operation writes it. The same inputs as current_usage/scale (bench/read_bench.cpp).
void current_usage_calculation(benchmark::State& state, const std::string& path, int64_t events) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    state.SkipWithError(("cannot open " + path).c_str());
    return;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  tariff::ScannedEvents scanned;
  nlohmann::json doc = tariff::read_snapshot_text(text, scanned);
  const tariff::Snapshot s = tariff::parse_snapshot(doc, tariff::RequestKind::usage);
  const tariff::Subscription& sub = tariff::active_subscription_for_request(s);
  for (auto _ : state) {
    const tariff::UsageComputation uc = tariff::compute_usage(s, sub);
    const tariff::Currency& cur = sub.plan->currency;
    nlohmann::ordered_json u = tariff::usage_head(uc, cur, tariff::usage_totals(s, sub, uc));
    nlohmann::ordered_json charges = nlohmann::ordered_json::array();
    for (const auto& pc : uc.charges) charges.push_back(tariff::charge_usage_json(*pc.charge, pc.fees, cur));
    u["charges_usage"] = std::move(charges);
    const std::string body = u.dump();
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(events) * 1e-9,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void register_calculation_benchmarks() {
  std::vector<std::pair<std::string, std::string>> inputs = {
      {"events_1k", std::string(TARIFF_BENCH_INPUTS) + "/events_1k.json"},
      {"events_10k", std::string(TARIFF_BENCH_INPUTS) + "/events_10k.json"}};
  if (const char* large = std::getenv("TARIFF_BENCH_LARGE_INPUTS")) {
    inputs.emplace_back("events_100k", std::string(large) + "/events_100k.json");
    inputs.emplace_back("events_1m", std::string(large) + "/events_1m.json");
  }
  const int64_t counts[] = {1000, 10000, 100000, 1000000};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string path = inputs[i].second;
    const int64_t events = counts[i];
    benchmark::RegisterBenchmark(("current_usage/calculation/" + inputs[i].first).c_str(),
                                 [path, events](benchmark::State& st) { current_usage_calculation(st, path, events); })
        ->Unit(benchmark::kMillisecond);
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
  register_calculation_benchmarks();
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
