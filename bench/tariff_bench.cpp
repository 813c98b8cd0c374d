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

void register_all() {
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
