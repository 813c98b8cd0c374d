// Cache lines asked for ahead of a pass that reads scattered addresses in a known order.
// Internal to the engine.
//
// Natively a prefetch instruction some items ahead, one per item: it retires at once. (Sixteen
// asked for at once do worse: prefetches beyond the misses a core can track are dropped.)
// WebAssembly has no prefetch: a plain load stands in, and a load holds back the work after it
// until its line arrives, so one alone gains nothing. Loads pay off in a batch: independent
// addresses loaded one after the other miss together, and the wait is one miss for the batch
// rather than one per address. So there, at every kAhead-th item, the next kAhead items'
// addresses are loaded together.
#pragma once

#include <cstddef>

namespace tariff {

// Before item i of n: `address_of(j)` (null: nothing to fetch) of the items to come fetched.
template <class AddressOf>
inline void fetch_ahead(size_t i, size_t n, AddressOf address_of) {
  constexpr size_t kAhead = 16;
#if defined(__wasm__)
  if (i % kAhead != 0) return;
  const size_t stop = n < i + 2 * kAhead ? n : i + 2 * kAhead;
  for (size_t j = i + kAhead; j < stop; ++j)
    if (const void* p = address_of(j)) (void)*static_cast<const volatile unsigned char*>(p);
#else
  if (i + kAhead >= n) return;
  if (const void* p = address_of(i + kAhead)) {
#if defined(__GNUC__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
  }
#endif
}

}  // namespace tariff
