// operator new and delete for the WebAssembly module: blocks of up to 256 bytes from free lists,
// one per 16-byte size class, in front of malloc (Emscripten 3.1.6's dlmalloc), which takes the
// larger ones. A calculation makes and frees a thousand or so small blocks (JSON trees, strings,
// vectors of a few items); in WebAssembly dlmalloc's malloc and free cost about 10 % of a call
// on a small snapshot, a free list's push and pop a few instructions.
//
// Small blocks are carved from 64 KiB chunks aligned on 64 KiB, each chunk holding one class:
// a table of the module's 64 KiB pages (the address space of a 32-bit module is 65,536 of them)
// tells operator delete the class of a block, or that the block came from malloc. Chunks are
// never given back: the free lists hold at most what the calculation that used the most small
// blocks held at once, and a module whose memory grew past the package's threshold is replaced
// by a fresh instance anyway (node/lib/core.mjs). The module is single-threaded.
//
// libc++'s other forms (new[], delete[], sized delete, the nothrow forms) call these two; the
// aligned forms keep their own aligned_alloc / free pair.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

constexpr std::size_t kClassBytes = 16, kClasses = 16;  // 16, 32, ... 256 bytes
constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kPages = static_cast<std::size_t>((std::uint64_t{1} << 32) / kChunkBytes);

struct FreeBlock {
  FreeBlock* next;
};

FreeBlock* free_lists[kClasses + 1];
unsigned char page_class[kPages];  // 0: not a chunk of small blocks
std::size_t cached_bytes = 0;      // bytes in the free lists, for heap_used_bytes()

// A new chunk of class c, its blocks put on the free list; false when memory runs out.
bool refill(std::size_t c) {
  void* chunk = std::aligned_alloc(kChunkBytes, kChunkBytes);
  if (!chunk) return false;
  page_class[reinterpret_cast<std::uintptr_t>(chunk) / kChunkBytes] = static_cast<unsigned char>(c);
  const std::size_t size = c * kClassBytes;
  char* base = static_cast<char*>(chunk);
  FreeBlock* head = free_lists[c];
  for (std::size_t at = kChunkBytes - kChunkBytes % size; at != 0;) {
    at -= size;
    FreeBlock* b = reinterpret_cast<FreeBlock*>(base + at);
    b->next = head;
    head = b;
  }
  free_lists[c] = head;
  cached_bytes += (kChunkBytes / size) * size;
  return true;
}

}  // namespace

// Bytes of small blocks waiting in the free lists (malloc counts them as in use).
std::size_t tariff_small_blocks_cached() { return cached_bytes; }

__attribute__((noinline)) void* operator new(std::size_t n) {
  if (n <= kClasses * kClassBytes) {
    const std::size_t c = n == 0 ? 1 : (n + kClassBytes - 1) / kClassBytes;
    if (!free_lists[c] && !refill(c)) throw std::bad_alloc();
    FreeBlock* b = free_lists[c];
    free_lists[c] = b->next;
    cached_bytes -= c * kClassBytes;
    return b;
  }
  if (void* p = std::malloc(n)) return p;
  throw std::bad_alloc();
}

__attribute__((noinline)) void operator delete(void* p) noexcept {
  if (!p) return;
  const std::size_t c = page_class[reinterpret_cast<std::uintptr_t>(p) / kChunkBytes];
  if (c == 0) {
    std::free(p);
    return;
  }
  FreeBlock* b = static_cast<FreeBlock*>(p);
  b->next = free_lists[c];
  free_lists[c] = b;
  cached_bytes += c * kClassBytes;
}
