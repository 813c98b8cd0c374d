// Events in event order (CONTRACT §1): by timestamp, ties in input order (`order`).
#pragma once

#include <vector>

#include "snapshot/snapshot.hpp"

namespace tariff {

// Sorts `evs` by (timestamp, order) in place.
void sort_events(std::vector<Event>& evs);

// Asks for an event's cache lines ahead of a scattered read or write. (Nothing in WebAssembly,
// which has no prefetch: see core/prefetch.hpp.)
inline void prefetch_event(const Event* e) {
#if defined(__GNUC__) && !defined(__wasm__)
  __builtin_prefetch(e, 1);
  __builtin_prefetch(reinterpret_cast<const char*>(e) + sizeof(Event) - 1, 1);
#else
  (void)e;
#endif
}

}  // namespace tariff
