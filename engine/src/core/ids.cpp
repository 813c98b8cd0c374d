// Name-based UUIDs (RFC 4122 §4.3, version 5): SHA-1 (FIPS 180-4) of the namespace's 16 bytes
// followed by the name, the first 16 bytes of the digest with the version and variant set.
#include "tariff/ids.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace tariff {
namespace {

constexpr std::array<uint8_t, 16> kNamespace = {0xdb, 0x83, 0x25, 0xff, 0xc6, 0xbb, 0x5b, 0x1e,
                                                0xb0, 0x42, 0xcb, 0xba, 0xfd, 0x85, 0x4d, 0x8e};

uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

std::array<uint8_t, 20> sha1(const std::vector<uint8_t>& message) {
  uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
  std::vector<uint8_t> m = message;
  const uint64_t bits = static_cast<uint64_t>(message.size()) * 8;
  m.push_back(0x80);
  while (m.size() % 64 != 56) m.push_back(0);
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  for (size_t block = 0; block < m.size(); block += 64) {
    uint32_t w[80];
    for (int t = 0; t < 16; ++t)
      w[t] = (uint32_t{m[block + 4 * t]} << 24) | (uint32_t{m[block + 4 * t + 1]} << 16) |
             (uint32_t{m[block + 4 * t + 2]} << 8) | uint32_t{m[block + 4 * t + 3]};
    for (int t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; ++t) {
      uint32_t f, k;
      if (t < 20) f = (b & c) | (~b & d), k = 0x5A827999u;
      else if (t < 40) f = b ^ c ^ d, k = 0x6ED9EBA1u;
      else if (t < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDCu;
      else f = b ^ c ^ d, k = 0xCA62C1D6u;
      const uint32_t tmp = rotl(a, 5) + f + e + k + w[t];
      e = d, d = c, c = rotl(b, 30), b = a, a = tmp;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  std::array<uint8_t, 20> out{};
  for (int i = 0; i < 20; ++i) out[i] = static_cast<uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

}  // namespace

std::string name_uuid(std::string_view name) { return name_uuid(kNamespace, name); }

std::string name_uuid(const std::array<uint8_t, 16>& name_space, std::string_view name) {
  std::vector<uint8_t> m(name_space.begin(), name_space.end());
  m.insert(m.end(), name.begin(), name.end());
  std::array<uint8_t, 20> d = sha1(m);
  d[6] = static_cast<uint8_t>((d[6] & 0x0f) | 0x50);  // version 5
  d[8] = static_cast<uint8_t>((d[8] & 0x3f) | 0x80);  // variant 10
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[d[i] >> 4]);
    s.push_back(kHex[d[i] & 0x0f]);
  }
  return s;
}

std::string derived_add_on_id(std::string_view add_on_code) {
  return name_uuid("add_on/" + std::string(add_on_code));
}

std::string derived_applied_tax_id(std::string_view parent_id, std::string_view tax_code) {
  return name_uuid("applied_tax/" + std::string(parent_id) + "/" + std::string(tax_code));
}

}  // namespace tariff
