// The baseline of snapshot reading (issue 10 §4): simdjson's on-demand reader visiting every
// value of a snapshot file, each string unescaped and each number kept as its text (what an
// exact reader has to do at the least). Compiled with -march=native: simdjson's on-demand
// front end takes the SIMD kernel chosen at compile time.
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include <simdjson.h>

namespace {

size_t visit(simdjson::ondemand::value v) {
  using T = simdjson::ondemand::json_type;
  size_t n = 1;
  switch (v.type()) {
    case T::object:
      for (auto field : v.get_object()) {
        std::string_view key = field.unescaped_key();
        n += key.size();
        n += visit(field.value());
      }
      break;
    case T::array:
      for (auto item : v.get_array()) n += visit(item.value());
      break;
    case T::string: n += std::string_view(v.get_string()).size(); break;
    case T::number: n += std::string_view(v.raw_json_token()).size(); break;
    case T::boolean: n += bool(v.get_bool()) ? 1 : 0; break;
    case T::null: break;
  }
  return n;
}

}  // namespace

void read_simdjson(benchmark::State& state, const std::string& path, size_t* bytes) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  const simdjson::padded_string text(ss.str());
  *bytes = text.size();
  simdjson::ondemand::parser parser(text.size() + 64);
  state.SetLabel(SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION));
  for (auto _ : state) {
    simdjson::ondemand::document doc = parser.iterate(text);
    size_t n = 0;
    for (auto field : doc.get_object()) {
      std::string_view key = field.unescaped_key();
      n += key.size();
      n += visit(field.value());
    }
    benchmark::DoNotOptimize(n);
  }
}
