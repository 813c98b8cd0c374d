// Snapshot reading (issue 10 §4): what tariff::run does before it calculates — the one pass
// over the text (read_snapshot_text: the events array straight into typed events, the rest
// an exact JSON document) and parse_snapshot() into typed, validated values — against simdjson's on-demand
// reader visiting every value of the same file (each string unescaped, each number's text
// kept, as an exact reader must), the baseline the engine is measured against.
//   read/tariff/events_10k               read_snapshot_text + parse_snapshot (usage request)
//   read/simdjson_ondemand/events_10k    simdjson::ondemand, every value visited
//   current_usage/scale/events_100k      tariff::run end to end, per size
// Inputs: bench/inputs/events_{1k,10k}.json, plus events_{100k,1m}.json from
// $TARIFF_BENCH_LARGE_INPUTS when set (node bench/make_inputs.mjs --out DIR --sizes ...).
// Counters: ns_per_event, bytes per second.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "snapshot/reader_events.hpp"
#include "snapshot/snapshot.hpp"
#include "tariff/engine.hpp"
#include "tariff/json.hpp"

namespace {

struct Input {
  std::string label;
  std::string path;
  int64_t events = 0;
};

std::vector<Input> inputs() {
  std::vector<Input> out = {{"events_1k", std::string(TARIFF_BENCH_INPUTS) + "/events_1k.json", 1000},
                            {"events_10k", std::string(TARIFF_BENCH_INPUTS) + "/events_10k.json", 10000}};
  if (const char* large = std::getenv("TARIFF_BENCH_LARGE_INPUTS")) {
    out.push_back({"events_100k", std::string(large) + "/events_100k.json", 100000});
    out.push_back({"events_1m", std::string(large) + "/events_1m.json", 1000000});
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

#ifdef TARIFF_HAVE_SIMDJSON
// simdjson_baseline.cpp (compiled for this CPU, as simdjson's on-demand reader is meant to be).
void read_simdjson(benchmark::State& state, const std::string& path, size_t* bytes);
#endif


namespace {

void finish(benchmark::State& state, size_t bytes, int64_t events) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  state.counters["ns_per_event"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(events) * 1e-9,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void read_tariff(benchmark::State& state, const Input& in) {
  const std::string text = slurp(in.path);
  for (auto _ : state) {
    tariff::ScannedEvents events;
    nlohmann::json doc = tariff::read_snapshot_text(text, events);
    tariff::Snapshot s = tariff::parse_snapshot(doc, tariff::RequestKind::usage);
    if (static_cast<int64_t>(s.events.size()) != in.events) state.SkipWithError("events lost");
    benchmark::DoNotOptimize(s.events.data());
  }
  finish(state, text.size(), in.events);
}

void current_usage(benchmark::State& state, const Input& in) {
  const std::string text = slurp(in.path);
  int status = 0;
  for (auto _ : state) {
    tariff::Result r = tariff::run(tariff::Operation::current_usage, text);
    status = r.status;
    benchmark::DoNotOptimize(r.body.data());
  }
  state.counters["status"] = status;
  finish(state, text.size(), in.events);
}


}  // namespace

void register_read_benchmarks() {
  for (const Input& in : inputs()) {
    benchmark::RegisterBenchmark(("read/tariff/" + in.label).c_str(),
                                 [in](benchmark::State& s) { read_tariff(s, in); })
        ->Unit(benchmark::kMillisecond);
#ifdef TARIFF_HAVE_SIMDJSON
    benchmark::RegisterBenchmark(("read/simdjson_ondemand/" + in.label).c_str(),
                                 [in](benchmark::State& s) {
                                   size_t bytes = 0;
                                   read_simdjson(s, in.path, &bytes);
                                   finish(s, bytes, in.events);
                                 })
        ->Unit(benchmark::kMillisecond);
#endif
    benchmark::RegisterBenchmark(("current_usage/scale/" + in.label).c_str(),
                                 [in](benchmark::State& s) { current_usage(s, in); })
        ->Unit(benchmark::kMillisecond);
  }
}
