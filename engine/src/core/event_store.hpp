// Where the snapshot's events keep their text (issue 10 §4): an event's strings are views into
// the snapshot text itself when they need no unescaping, else into the snapshot's arena; its
// properties are a flat list of (key, kind, exact text) in the arena. Nothing here is a JSON
// tree: a value is read once, as text, and the calculation reads the text.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/same_text.hpp"

namespace tariff {

// A bump allocator for one snapshot: trivially destructible objects and text, freed together.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(size_t bytes, size_t align = alignof(std::max_align_t)) {
    size_t at = (used_ + align - 1) & ~(align - 1);
    if (!block_ || at + bytes > size_) {
      grow(bytes + align > next_ ? bytes + align : next_);
      at = (reinterpret_cast<uintptr_t>(block_) % align) ? align - reinterpret_cast<uintptr_t>(block_) % align : 0;
      if (next_ < (size_t{8} << 20)) next_ *= 2;
    }
    used_ = at + bytes;
    return block_ + at;
  }
  // Room for `bytes` more in one block (one allocation for a snapshot's expected size, instead
  // of chunks growing one after another).
  void reserve(size_t bytes) {
    if (block_ && size_ - used_ >= bytes) return;
    grow(bytes);
  }
  // Bytes handed out so far (alignment included), over every block.
  size_t used() const { return before_ + used_; }
  std::string_view text(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  template <class T>
  T* array(size_t n) {
    return n ? static_cast<T*>(allocate(sizeof(T) * n, alignof(T))) : nullptr;
  }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* block_ = nullptr;
  size_t size_ = 0, used_ = 0, before_ = 0, next_ = 64 * 1024;

  void grow(size_t want) {
    blocks_.emplace_back(new char[want]);
    before_ += used_;
    block_ = blocks_.back().get();
    size_ = want;
    used_ = 0;
  }
};

// How the exact JSON reader (tariff/json.hpp) types a value: an integer that fits 64 bits is a
// number; any other number is a string of its text; objects and arrays keep their JSON text.
enum class PropertyKind : uint8_t { string, integer, boolean, null, object, array };

// One property: key and value text (a string unescaped; an integer in its JSON form; a boolean
// "true"/"false"; null ""; an object or array as its JSON text), in 16 bytes (12 in WASM): the
// value's pointer and size, the key found back from the value — a key precedes its value by
// a few bytes in the text they were read from, else both are copied side by side into the
// arena. A key of 65,535 bytes or more is kept in a record just before its copied value.
struct Property {
  const char* text_data = nullptr;
  uint32_t text_size_kind = 0;  // low 29 bits: text size; high 3 bits: kind
  uint16_t key_back = 0;        // key_data = text_data - key_back
  uint16_t key_size = 0;        // kWideKey: the key in a WideKey record before text_data

  static constexpr uint16_t kWideKey = 0xFFFF;
  struct WideKey {
    const char* data;
    size_t size;
  };

  std::string_view key() const {
    if (key_size == kWideKey) {
      WideKey w;
      std::memcpy(&w, text_data - sizeof(WideKey), sizeof w);
      return {w.data, w.size};
    }
    return {text_data - key_back, key_size};
  }
  std::string_view text() const { return {text_data, text_size_kind & 0x1FFFFFFFu}; }
  PropertyKind kind() const { return static_cast<PropertyKind>(text_size_kind >> 29); }
  // Key and value views that outlive the property (the text read, or `arena`).
  void set(std::string_view k, PropertyKind kind, std::string_view t, Arena& arena) {
    text_size_kind = static_cast<uint32_t>(t.size()) | (static_cast<uint32_t>(kind) << 29);
    const uintptr_t key_at = reinterpret_cast<uintptr_t>(k.data());
    if (k.size() < kWideKey) {
      key_size = static_cast<uint16_t>(k.size());
      const uintptr_t text_at = t.empty() ? key_at + k.size() : reinterpret_cast<uintptr_t>(t.data());
      if (text_at >= key_at && text_at - key_at <= 0xFFFF) {
        text_data = t.empty() ? k.data() + k.size() : t.data();
        key_back = static_cast<uint16_t>(text_at - key_at);
        return;
      }
      char* both = static_cast<char*>(arena.allocate(k.size() + t.size(), 1));
      if (!k.empty()) std::memcpy(both, k.data(), k.size());
      if (!t.empty()) std::memcpy(both + k.size(), t.data(), t.size());
      text_data = both + k.size();
      key_back = static_cast<uint16_t>(k.size());
      return;
    }
    char* record = static_cast<char*>(arena.allocate(sizeof(WideKey) + t.size(), alignof(WideKey)));
    const WideKey w{k.data(), k.size()};
    std::memcpy(record, &w, sizeof w);
    if (!t.empty()) std::memcpy(record + sizeof(WideKey), t.data(), t.size());
    text_data = record + sizeof(WideKey);
    key_size = kWideKey;
    key_back = 0;
  }
  // The value as the exact JSON reader gives it.
  nlohmann::json to_json() const;
  // Lago's comparison text: a string as is, an integer or a boolean in JSON form; nullopt
  // for null, objects and arrays.
  bool scalar_text(std::string_view& out) const {
    switch (kind()) {
      case PropertyKind::string:
      case PropertyKind::integer:
      case PropertyKind::boolean: out = text(); return true;
      default: return false;
    }
  }
};

static_assert(sizeof(void*) != 8 || sizeof(Property) == 16, "Property: 16 bytes on 64-bit targets");

// A string of an event (a view into the snapshot text or its arena): a string_view in 12
// bytes instead of 16 (its size in 32 bits, 4-byte aligned), so that events stay small.
#pragma pack(push, 4)
class EventText {
 public:
  EventText() = default;
  EventText(std::string_view s) : data_(s.data()), size_(static_cast<uint32_t>(s.size())) {}
  operator std::string_view() const { return {data_, size_}; }
  std::string_view view() const { return {data_, size_}; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  friend bool operator==(EventText a, EventText b) { return a.view() == b.view(); }
  friend bool operator==(EventText a, std::string_view b) { return a.view() == b; }
  friend bool operator==(std::string_view a, EventText b) { return a == b.view(); }
  friend bool operator!=(EventText a, EventText b) { return a.view() != b.view(); }
  friend bool operator!=(EventText a, std::string_view b) { return a.view() != b; }
  friend bool operator!=(std::string_view a, EventText b) { return a != b.view(); }
  friend bool operator<(EventText a, EventText b) { return a.view() < b.view(); }

 private:
  const char* data_ = nullptr;
  uint32_t size_ = 0;
};

// An event's properties, each key once (a repeated key: the last one given).
class PropertyList {
 public:
  PropertyList() = default;
  PropertyList(const Property* items, uint32_t n) : items_(items), n_(n) {}
  const Property* begin() const { return items_; }
  const Property* end() const { return items_ + n_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Property* find(std::string_view key) const {
    for (uint32_t i = 0; i < n_; ++i)
      if (same_text(items_[i].key(), key)) return &items_[i];
    return nullptr;
  }
  // The object the exact JSON reader would give (keys sorted, as nlohmann::json keeps them).
  nlohmann::json to_json() const;

 private:
  const Property* items_ = nullptr;
  uint32_t n_ = 0;
};
#pragma pack(pop)

// Properties copied into `arena` from a JSON object (non-objects give none).
PropertyList properties_from_json(const nlohmann::json& object, Arena& arena);
// `list` with `key` set to the string `value` (the metric expression's result, §2.7).
PropertyList with_property(PropertyList list, std::string_view key, std::string_view value, Arena& arena);

}  // namespace tariff
