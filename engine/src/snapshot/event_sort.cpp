// Sorting by (timestamp, order). Events that fit in cache (up to kRadixMost) are sorted
// through their keys — times in their coarsest unit, LSD radix sort, stable, so ties keep
// input order when `order` grows along the vector (else equal times are put in order) — then
// moved once along the permutation. Larger inputs are not chased at random through memory:
// the events are first dealt in place into buckets of consecutive timestamps, one or two
// thousand events each (American flag sort: each bucket's next slot fetched ahead), then each
// bucket, now a hundred kilobytes or so, is sorted the same way on its own.
#include "snapshot/event_sort.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace tariff {
namespace {

constexpr size_t kRadixMost = size_t{1} << 16;

int64_t ticks(const Event& e) { return e.timestamp.time_since_epoch().count(); }

// Moves evs[src(j)] to j for every j, cycle by cycle; `done(j)` marks j placed.
template <class Src, class Done>
void permute_by(Event* evs, size_t n, Src src_of, Done done) {
  for (size_t k = 0; k < n; ++k) {
    if (src_of(k) == k) continue;
    const Event held = evs[k];
    size_t j = k;
    while (true) {
      const size_t src = src_of(j);
      done(j);
      if (src == k) {
        evs[j] = held;
        break;
      }
      evs[j] = evs[src];
      j = src;
    }
  }
}

// Moves evs[keys[j].at] to j for every j (`at` is overwritten).
template <class Key>
void permute(Event* evs, std::vector<Key>& keys) {
  permute_by(evs, keys.size(), [&](size_t j) { return static_cast<size_t>(keys[j].at); },
             [&](size_t j) { keys[j].at = static_cast<uint32_t>(j); });
}

// LSD radix sort of `keys` on bits [0, bits) of key_of(k) (digits of 8 or 11 bits; a digit
// every key shares skipped), through `tmp` (same size).
template <class Key, class KeyOf>
void radix_sort(std::vector<Key>& keys, std::vector<Key>& tmp, int bits, KeyOf key_of) {
  const size_t n = keys.size();
  const int digit = n < 4096 ? 8 : 11;
  const size_t radix = size_t{1} << digit;
  const int passes = (bits + digit - 1) / digit;
  std::vector<uint32_t> count(radix * static_cast<size_t>(passes), 0);
  for (const Key& k : keys) {
    const uint64_t v = key_of(k);
    for (int p = 0; p < passes; ++p) ++count[radix * p + ((v >> (p * digit)) & (radix - 1))];
  }
  for (int p = 0; p < passes; ++p) {
    uint32_t* c = count.data() + radix * p;
    const uint64_t first_digit = (key_of(keys[0]) >> (p * digit)) & (radix - 1);
    if (c[first_digit] == n) continue;  // every key has this digit
    uint32_t at = 0;
    for (size_t d = 0; d < radix; ++d) {
      const uint32_t here = c[d];
      c[d] = at;
      at += here;
    }
    for (const Key& k : keys) tmp[c[(key_of(k) >> (p * digit)) & (radix - 1)]++] = k;
    keys.swap(tmp);
  }
}

// Exact division by 1000 and 10^6 and the test of it, with 64-bit multiplications by the
// inverses of 125 and 5^6 modulo 2^64 (no division instruction: WebAssembly has no 64-bit
// multiply-high, so a division by a constant stays a division there).
constexpr uint64_t inverse_mod_2_64(uint64_t a) {  // a odd; Newton's iteration, 6 steps
  uint64_t x = a;
  for (int i = 0; i < 6; ++i) x *= 2 - a * x;
  return x;
}
constexpr uint64_t kInverse125 = inverse_mod_2_64(125), kInverse15625 = inverse_mod_2_64(15625);
static_assert(125 * kInverse125 == 1 && 15625 * kInverse15625 == 1, "inverses modulo 2^64");
bool divides_1000(uint64_t d) { return (d & 7) == 0 && (d >> 3) * kInverse125 <= UINT64_MAX / 125; }
bool divides_1000000(uint64_t d) { return (d & 63) == 0 && (d >> 6) * kInverse15625 <= UINT64_MAX / 15625; }
// d / unit for unit 1, 1000 or 10^6 dividing d.
uint64_t exact_quotient(uint64_t d, uint64_t unit) {
  return unit == 1 ? d : unit == 1000 ? (d >> 3) * kInverse125 : (d >> 6) * kInverse15625;
}

int bits_of(uint64_t v) {
  int b = 0;
  while (b < 64 && (v >> b) != 0) ++b;
  return b;
}

bool before(const Event& a, const Event& b) {
  return ticks(a) != ticks(b) ? ticks(a) < ticks(b) : a.order < b.order;
}

// Keys sorted by time (radix sort: stable, positions in input order for equal times), then
// each run of equal times by `order` unless orders already grow along the span.
template <class Key, class TimeOf, class AtOf>
void sort_keys(const Event* evs, std::vector<Key>& keys, int bits, bool orders_grow, TimeOf time_of, AtOf at_of) {
  std::vector<Key> tmp(keys.size());
  radix_sort(keys, tmp, bits, time_of);
  if (orders_grow) return;
  for (size_t i = 0; i < keys.size();) {
    size_t j = i + 1;
    while (j < keys.size() && time_of(keys[j]) == time_of(keys[i])) ++j;
    if (j - i > 1)
      std::sort(keys.begin() + static_cast<std::ptrdiff_t>(i), keys.begin() + static_cast<std::ptrdiff_t>(j),
                [&](const Key& x, const Key& y) { return evs[at_of(x)].order < evs[at_of(y)].order; });
    i = j;
  }
}

// Events in cache sorted by (timestamp, order): keys made, sorted, the events moved once.
void sort_span(Event* evs, size_t n) {
  if (n < 2) return;
  bool sorted = true, orders_grow = true, ms = true, s = true;
  int64_t lo = ticks(evs[0]), hi = lo;
  for (size_t i = 1; i < n; ++i) {
    sorted = sorted && before(evs[i - 1], evs[i]);
    orders_grow = orders_grow && evs[i - 1].order < evs[i].order;
    lo = std::min(lo, ticks(evs[i])), hi = std::max(hi, ticks(evs[i]));
  }
  if (sorted) return;
  // The coarsest unit (µs, ms, s) every time is a multiple of, counted from lo: fewer digits.
  for (size_t i = 0; i < n; ++i) {
    const uint64_t d = static_cast<uint64_t>(ticks(evs[i])) - static_cast<uint64_t>(lo);
    ms = ms && divides_1000(d);
    s = s && divides_1000000(d);
  }
  const uint64_t unit = s ? 1000000 : ms ? 1000 : 1;
  const auto time = [&](size_t i) {
    return exact_quotient(static_cast<uint64_t>(ticks(evs[i])) - static_cast<uint64_t>(lo), unit);
  };
  const int bits = bits_of(exact_quotient(static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo), unit));
  if (bits <= 32) {  // (time << 32 | position) in one word
    std::vector<uint64_t> keys(n);
    for (size_t i = 0; i < n; ++i) keys[i] = time(i) << 32 | i;
    sort_keys(evs, keys, bits, orders_grow, [](uint64_t k) { return k >> 32; },
              [](uint64_t k) { return static_cast<size_t>(static_cast<uint32_t>(k)); });
    permute_by(evs, n, [&](size_t j) { return static_cast<size_t>(static_cast<uint32_t>(keys[j])); },
               [&](size_t j) { keys[j] = (keys[j] & ~uint64_t{0xFFFFFFFFu}) | j; });
    return;
  }
  struct Key {
    uint64_t time;
    uint32_t at;
  };
  std::vector<Key> keys(n);
  for (size_t i = 0; i < n; ++i) keys[i] = {time(i), static_cast<uint32_t>(i)};
  sort_keys(evs, keys, bits, orders_grow, [](const Key& k) { return k.time; },
            [](const Key& k) { return static_cast<size_t>(k.at); });
  permute(evs, keys);
}

}  // namespace

void sort_events(std::vector<Event>& evs) {
  const size_t n = evs.size();
  if (n < 2) return;
  bool sorted = true;  // a server's events usually are (then nothing moves)
  int64_t lo = ticks(evs[0]), hi = lo;
  for (size_t i = 1; i < n; ++i) {
    sorted = sorted && before(evs[i - 1], evs[i]);
    lo = std::min(lo, ticks(evs[i])), hi = std::max(hi, ticks(evs[i]));
  }
  if (sorted) return;
  if (n <= kRadixMost) {
    sort_span(evs.data(), n);
    return;
  }
  size_t buckets = 1;
  while (buckets < 1024 && buckets * 2048 < n) buckets *= 2;
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  int shift = 0;
  while ((range >> shift) >= buckets) ++shift;
  const auto bucket = [&](const Event& e) {
    return static_cast<size_t>((static_cast<uint64_t>(ticks(e)) - static_cast<uint64_t>(lo)) >> shift);
  };
  std::vector<size_t> head(buckets + 1, 0), end(buckets, 0);
  if (buckets > 1) {
    for (const Event& e : evs) ++head[bucket(e) + 1];
    for (size_t b = 0; b < buckets; ++b) head[b + 1] += head[b];
    for (size_t b = 0; b < buckets; ++b) end[b] = head[b + 1];
    Event* data = evs.data();
    for (size_t b = 0; b < buckets; ++b)
      if (head[b] < end[b]) prefetch_event(data + head[b]);
    for (size_t b = 0; b < buckets; ++b) {
      while (head[b] < end[b]) {
        Event held = data[head[b]];
        size_t d = bucket(held);
        while (d != b) {  // put `held` in its bucket's next slot, take what was there
          Event* slot = data + head[d]++;
          if (head[d] < end[d]) prefetch_event(data + head[d]);
          std::swap(held, *slot);
          d = bucket(held);
        }
        data[head[b]++] = held;
        if (head[b] < end[b]) prefetch_event(data + head[b]);
      }
    }
  }
  size_t begin = 0;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t stop = buckets > 1 ? end[b] : n;
    sort_span(evs.data() + begin, stop - begin);
    begin = stop;
  }
}
}  // namespace tariff
