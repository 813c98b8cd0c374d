// Per-request phase timing, for finding where a request's time goes: off unless the server
// runs with TARIFF_TIMING=1, then each API reply carries a Server-Timing header
// ("store;dur=0.41, engine;dur=1.20, ..., q;desc=12" milliseconds, q = store statements) and
// nothing else changes. One request is handled by one thread: the figures are thread-local.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace tariff::server::timing {

inline bool enabled() {
  static const bool on = [] {
    const char* v = std::getenv("TARIFF_TIMING");
    return v && *v && std::string(v) != "0";
  }();
  return on;
}

struct State {
  std::chrono::steady_clock::time_point last;
  std::vector<std::pair<const char*, double>> phases;  // name, ms (summed by name)
  int statements = 0;
};

inline State& state() {
  thread_local State s;
  return s;
}

// Starts a request's figures.
inline void begin() {
  if (!enabled()) return;
  State& s = state();
  s.phases.clear();
  s.statements = 0;
  s.last = std::chrono::steady_clock::now();
}

// The time since the last mark (or begin) goes to `phase`.
inline void mark(const char* phase) {
  if (!enabled()) return;
  State& s = state();
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - s.last).count();
  s.last = now;
  for (auto& [name, v] : s.phases)
    if (std::string(name) == phase) {
      v += ms;
      return;
    }
  s.phases.emplace_back(phase, ms);
}

inline void statement() {
  if (enabled()) ++state().statements;
}

// The Server-Timing header's value ("" when off).
inline std::string header() {
  if (!enabled()) return "";
  mark("rest");
  std::string out;
  char buf[96];
  for (const auto& [name, ms] : state().phases) {
    std::snprintf(buf, sizeof buf, "%s%s;dur=%.3f", out.empty() ? "" : ", ", name, ms);
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "%sq;desc=%d", out.empty() ? "" : ", ", state().statements);
  return out + buf;
}

}  // namespace tariff::server::timing
