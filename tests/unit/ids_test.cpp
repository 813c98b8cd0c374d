// Name-based UUIDs (version 5): checked against Python's uuid.uuid5, computed independently:
//   python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org'))"
#include <gtest/gtest.h>

#include "tariff/ids.hpp"

namespace {
constexpr std::array<uint8_t, 16> kDns = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                          0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
constexpr std::array<uint8_t, 16> kUrl = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                          0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
}  // namespace

TEST(NameUuid, Rfc4122Version5AsPythonDerivesIt) {
  EXPECT_EQ(tariff::name_uuid(kDns, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  EXPECT_EQ(tariff::name_uuid(kUrl, ""), "1b4db7eb-4057-5ddf-91e0-36dec72071f5");
  // 16 + 100 bytes: two SHA-1 blocks.
  EXPECT_EQ(tariff::name_uuid(kDns, std::string(100, 'a')), "56596f37-716c-57a9-a735-2561f8608390");
  // tariff's namespace is uuid5(NAMESPACE_URL, "urn:tariff:ids").
  EXPECT_EQ(tariff::name_uuid(kUrl, "urn:tariff:ids"), "db8325ff-c6bb-5b1e-b042-cbbafd854d8e");
}

TEST(NameUuid, DerivedIdsOfAddOnsAndAppliedTaxes) {
  // uuid5(db8325ff-…, "add_on/support"), uuid5(db8325ff-…, "applied_tax/inv-1/vat20").
  EXPECT_EQ(tariff::derived_add_on_id("support"), "f36ee492-b49c-5239-83f2-082d06db518e");
  EXPECT_EQ(tariff::derived_applied_tax_id("inv-1", "vat20"), "f0ba89f9-c18e-53a7-b494-a7899fdf822a");
  EXPECT_NE(tariff::derived_applied_tax_id("inv-1", "vat20"), tariff::derived_applied_tax_id("inv-2", "vat20"));
}
