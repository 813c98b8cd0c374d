// memcmp, memcpy, memmove and memset for the WebAssembly module, in place of Emscripten 3.1.6's
// libc ones (which the linker then leaves out: a definition in an object file wins over an
// archive's, and libc's memcpy/memmove/memset are weak):
// - libc's memcmp compares byte by byte unless both pointers are 4-aligned, which views into
//   the JSON text (member names, property keys) almost never are; this one compares 8 bytes at
//   a time at any alignment (WebAssembly loads need no alignment), and equal ranges of 4 bytes
//   or more without a byte loop.
// - libc's memcpy hands every copy of 512 bytes or more to JavaScript (HEAPU8.copyWithin) and
//   copies the rest in a loop; here up to 16 bytes take at most two loads and two stores, up
//   to 64 at most eight of each, and anything longer one memory.copy / memory.fill instruction (this file is compiled with
//   -mbulk-memory: Node 12.5+, Chromium 75+, Firefox 79+, Safari 15+).
// Same results as the C standard says (memcmp: the sign of the first differing byte pair).
#include <cstddef>
#include <cstdint>

#if !defined(__wasm_bulk_memory__)
#error "fast_memory.cpp needs -mbulk-memory (bindings/wasm/CMakeLists.txt)"
#endif

namespace {

// Constant sizes: one unaligned load or store each.
template <class T>
inline T load(const unsigned char* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
inline void store(unsigned char* p, T v) {
  __builtin_memcpy(p, &v, sizeof v);
}
inline std::uint64_t load64(const unsigned char* p) { return load<std::uint64_t>(p); }

constexpr std::size_t kSmall = 16;

// The sign of the first differing byte pair (0 if none) among n bytes.
inline int bytes_cmp(const unsigned char* l, const unsigned char* r, std::size_t n) {
  for (; n != 0; --n, ++l, ++r) {
    if (*l != *r) return *l < *r ? -1 : 1;
  }
  return 0;
}

// n <= kSmall bytes; every load before any store, so overlapping ranges are fine (memmove).
inline void copy_small(unsigned char* d, const unsigned char* s, std::size_t n) {
  if (n >= 8) {
    const auto a = load<std::uint64_t>(s), b = load<std::uint64_t>(s + n - 8);
    store(d, a);
    store(d + n - 8, b);
  } else if (n >= 4) {
    const auto a = load<std::uint32_t>(s), b = load<std::uint32_t>(s + n - 4);
    store(d, a);
    store(d + n - 4, b);
  } else if (n != 0) {
    const unsigned char a = s[0], b = s[n / 2], c = s[n - 1];
    d[0] = a;
    d[n / 2] = b;
    d[n - 1] = c;
  }
}

// 16 < n <= 64 bytes: the first and last 16 (n <= 32) or 32 (n <= 64) bytes in 8-byte words,
// every load before any store (overlapping ranges are fine). V8 runs memory.copy out of line,
// which costs more than these few loads and stores for the mid-sized strings (property
// values, member names) a calculation copies most.
inline void copy_medium(unsigned char* d, const unsigned char* s, std::size_t n) {
  if (n <= 32) {
    const auto a = load64(s), b = load64(s + 8), c = load64(s + n - 16), e = load64(s + n - 8);
    store(d, a);
    store(d + 8, b);
    store(d + n - 16, c);
    store(d + n - 8, e);
    return;
  }
  std::uint64_t w[8];
  for (int i = 0; i < 4; ++i) w[i] = load64(s + 8 * i);
  for (int i = 0; i < 4; ++i) w[4 + i] = load64(s + n - 32 + 8 * i);
  for (int i = 0; i < 4; ++i) store(d + 8 * i, w[i]);
  for (int i = 0; i < 4; ++i) store(d + n - 32 + 8 * i, w[4 + i]);
}

}  // namespace

extern "C" {

int memcmp(const void* a, const void* b, std::size_t n) {
  const auto* l = static_cast<const unsigned char*>(a);
  const auto* r = static_cast<const unsigned char*>(b);
  // Equal ranges (the usual answer: names and codes compared for equality) take no byte
  // loop: 8-byte steps, then the last 8 (or 4) bytes read overlapping what is already equal.
  if (n >= 8) {
    for (; n > 8; n -= 8, l += 8, r += 8) {
      if (load64(l) != load64(r)) return bytes_cmp(l, r, 8);
    }
    return load64(l + n - 8) == load64(r + n - 8) ? 0 : bytes_cmp(l, r, n);
  }
  if (n >= 4) {
    if (load<std::uint32_t>(l) == load<std::uint32_t>(r) &&
        load<std::uint32_t>(l + n - 4) == load<std::uint32_t>(r + n - 4)) {
      return 0;
    }
  }
  return bytes_cmp(l, r, n);
}

int bcmp(const void* a, const void* b, std::size_t n) { return memcmp(a, b, n); }

void* memmove(void* d, const void* s, std::size_t n) {
  if (n <= kSmall) {
    copy_small(static_cast<unsigned char*>(d), static_cast<const unsigned char*>(s), n);
  } else if (n <= 64) {
    copy_medium(static_cast<unsigned char*>(d), static_cast<const unsigned char*>(s), n);
  } else {
    __builtin_memmove(d, s, n);  // memory.copy (defined for overlapping ranges)
  }
  return d;
}

void* memcpy(void* __restrict d, const void* __restrict s, std::size_t n) { return memmove(d, s, n); }

void* memset(void* d, int c, std::size_t n) {
  auto* p = static_cast<unsigned char*>(d);
  if (n > kSmall) {
    __builtin_memset(d, c, n);  // memory.fill
  } else if (n >= 8) {
    const std::uint64_t v = 0x0101010101010101ull * static_cast<unsigned char>(c);
    store(p, v);
    store(p + n - 8, v);
  } else {
    for (; n != 0; --n) *p++ = static_cast<unsigned char>(c);
  }
  return d;
}

}  // extern "C"
