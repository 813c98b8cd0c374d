// The engine as an embind module: one function per operation, string in and string out (as duckdb-wasm's
// webdb_api does), plus a zero-copy path for callers that care about the last microsecond.
//
//   preview(json) / currentUsage(json) / projectedUsage(json) / estimateFees(json) / bill(json) /
//   lifetimeUsage(json) -> body
//   comparePlans(json) -> body
//   runOperation(name, json) -> body, by operation name
//   lastStatus()  -> the status of the last call (200, or the error document's status)
//   heapUsedBytes() -> bytes malloc holds for live blocks (leak checks)
//
// Fast path: the caller encodes the snapshot straight into wasm memory and reads the result
// through a view of it, skipping embind's byte-by-byte string copies (~20 µs per 2 KB):
//   p = allocBuffer(n); HEAPU8.set(bytes, p); view = runView(op, p, n); freeBuffer(p)
// The view aliases the module's output buffer: it is valid until the next call of any of
// these functions. This file holds no billing logic; tariff::run never throws, and every
// binding still has one catch so nothing reaches JS as a bare exception number.
#include <emscripten/bind.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>

#include "tariff/engine.hpp"
#include "tariff/error.hpp"

// Small blocks waiting in operator new's free lists (fast_new.cpp): malloc counts them in use.
std::size_t tariff_small_blocks_cached();

namespace {

using emscripten::val;

// The module is single-threaded; these hold the last answer between a call and its read.
// They belong to the binding layer only (the engine has no state).
int g_last_status = 0;
std::string g_out;

tariff::Result internal_error(const char* what) {
  tariff::Error err;
  err.status = 500;
  err.error = "Internal Server Error";
  err.code = "internal_error";
  err.details["engine"].push_back(what);
  return tariff::Result{err.status, err.to_json()};
}

tariff::Result run_guarded(tariff::Operation op, std::string_view input) {
  try {
    return tariff::run(op, input);
  } catch (const std::exception& e) {
    return internal_error(e.what());
  } catch (...) {
    return internal_error("unknown");
  }
}

std::string call(tariff::Operation op, const std::string& input) {
  tariff::Result r = run_guarded(op, input);
  g_last_status = r.status;
  return std::move(r.body);
}

std::string preview(const std::string& s) { return call(tariff::Operation::preview, s); }
std::string current_usage(const std::string& s) { return call(tariff::Operation::current_usage, s); }
std::string projected_usage(const std::string& s) { return call(tariff::Operation::projected_usage, s); }
std::string estimate_fees(const std::string& s) { return call(tariff::Operation::estimate_fees, s); }
std::string bill(const std::string& s) { return call(tariff::Operation::bill, s); }
std::string lifetime_usage(const std::string& s) { return call(tariff::Operation::lifetime_usage, s); }
std::string compare_plans(const std::string& s) { return call(tariff::Operation::compare_plans, s); }

// By name, for generic callers: "preview", "current_usage"/"currentUsage", ...
std::string run_named(const std::string& op, const std::string& s) {
  auto parsed = tariff::parse_operation(op);
  if (!parsed) {
    g_last_status = 400;
    return tariff::Error::bad_request("unknown_operation").to_json();
  }
  return call(*parsed, s);
}

int last_status() { return g_last_status; }

std::uintptr_t alloc_buffer(std::size_t n) {
  return reinterpret_cast<std::uintptr_t>(std::malloc(n == 0 ? 1 : n));
}
void free_buffer(std::uintptr_t p) { std::free(reinterpret_cast<void*>(p)); }

// op: 0 preview, 1 current_usage, 2 projected_usage, 3 estimate_fees, 4 bill, 5 lifetime_usage, 6 compare_plans
// (tariff::Operation order).
val run_view(int op, std::uintptr_t p, std::size_t n) {
  tariff::Result r;
  if (op < 0 || op > static_cast<int>(tariff::Operation::compare_plans)) {
    r = tariff::Result{400, tariff::Error::bad_request("unknown_operation").to_json()};
  } else {
    r = run_guarded(static_cast<tariff::Operation>(op),
                    std::string_view(reinterpret_cast<const char*>(p), n));
  }
  g_last_status = r.status;
  g_out = std::move(r.body);
  return val(emscripten::typed_memory_view(
      g_out.size(), reinterpret_cast<const unsigned char*>(g_out.data())));
}

// Bytes malloc holds for live allocations: flat over many calls means no leak.
std::size_t heap_used_bytes() { return mallinfo().uordblks - tariff_small_blocks_cached(); }

// Releases the output buffer (e.g. after one very large answer).
void release_output() { std::string().swap(g_out); }

}  // namespace

EMSCRIPTEN_BINDINGS(tariff) {
  emscripten::function("preview", &preview);
  emscripten::function("currentUsage", &current_usage);
  emscripten::function("projectedUsage", &projected_usage);
  emscripten::function("estimateFees", &estimate_fees);
  emscripten::function("bill", &bill);
  emscripten::function("lifetimeUsage", &lifetime_usage);
  emscripten::function("comparePlans", &compare_plans);
  emscripten::function("runOperation", &run_named);  // Module.run is Emscripten's
  emscripten::function("lastStatus", &last_status);
  emscripten::function("allocBuffer", &alloc_buffer);
  emscripten::function("freeBuffer", &free_buffer);
  emscripten::function("runView", &run_view);
  emscripten::function("releaseOutput", &release_output);
  emscripten::function("heapUsedBytes", &heap_used_bytes);
}
