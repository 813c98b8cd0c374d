#include "tariff/currency.hpp"

#include <algorithm>
#include <array>

namespace tariff {
namespace {

// Exactly the codes of Lago's Currencies concern (ACCEPTED_CURRENCIES, the only ones its
// models accept), sorted; everything not listed below has exponent 2.
constexpr std::array<std::string_view, 142> kCodes = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHF", "CLF", "CLP", "CNY", "COP", "CRC", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP",
    "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD",
    "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "ISK", "JMD", "JOD", "JPY", "KES",
    "KGS", "KHR", "KMF", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD",
    "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRO", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN",
    "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
    "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SEK", "SGD", "SHP", "SLL", "SOS",
    "SRD", "STD", "SZL", "THB", "TJS", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD",
    "UYU", "UZS", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW"};

constexpr bool sorted_codes() {
  for (size_t i = 1; i < kCodes.size(); ++i)
    if (!(kCodes[i - 1] < kCodes[i])) return false;
  return true;
}
static_assert(sorted_codes(), "kCodes sorted: find_currency() searches it by halves");

constexpr std::array<std::string_view, 18> kExponent0 = {
    "BIF", "CLP", "DJF", "GNF", "HUF", "ISK", "JPY", "KMF", "KRW",
    "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr std::array<std::string_view, 3> kExponent3 = {"BHD", "JOD", "KWD"};

template <size_t N>
bool in(const std::array<std::string_view, N>& a, std::string_view c) {
  return std::find(a.begin(), a.end(), c) != a.end();
}

}  // namespace

std::optional<Currency> find_currency(std::string_view code) {
  auto it = std::lower_bound(kCodes.begin(), kCodes.end(), code);  // sorted
  if (it == kCodes.end() || *it != code) return std::nullopt;
  Currency c;
  c.code = *it;
  if (in(kExponent0, code)) {
    c.exponent = 0;
    c.subunit_to_unit = 1;
  } else if (in(kExponent3, code)) {
    c.exponent = 3;
    c.subunit_to_unit = 1000;
  } else if (code == "CLF") {
    c.exponent = 4;
    c.subunit_to_unit = 10000;
  } else if (code == "MRO") {
    c.exponent = 1;  // round(log10(5)) — money gem quirk kept by Lago
    c.subunit_to_unit = 5;
  }
  return c;
}

}  // namespace tariff
