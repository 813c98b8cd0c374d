// Hashes of string pairs, for the events' indexes (snapshot/events.cpp) and the snapshot
// reader, which hashes each event's pair while its strings are still in cache
// (snapshot/reader_events.cpp). Internal to the engine.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tariff {
namespace event_hash {

// Hashes of string pairs — (external_subscription_id, code) for Snapshot::events_of(),
// (external_subscription_id, transaction_id) for duplicates — eight bytes at a time, the last
// partial word of a string of eight bytes or more loaded overlapping (no library call, no
// store of a partial word read back whole).
inline uint64_t key_mix(uint64_t h, std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t w;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  w = 0;
  if (i < n && n >= 8) std::memcpy(&w, p + n - 8, 8);
  else
    for (; i < n; ++i) w |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * (i & 7));
  h = (h ^ w ^ (static_cast<uint64_t>(n) << 56)) * kMul;
  return h ^ (h >> 32);
}
// pair_hash(a, b) in two steps, the first shared by the pairs that start with the same a.
inline uint64_t pair_hash_start(std::string_view a) { return key_mix(0x243F6A8885A308D3ULL, a); }
inline uint64_t pair_hash_end(uint64_t start, std::string_view b) {
  uint64_t h = key_mix(start, b);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}
inline uint64_t pair_hash(std::string_view a, std::string_view b) { return pair_hash_end(pair_hash_start(a), b); }

}  // namespace event_hash
}  // namespace tariff
