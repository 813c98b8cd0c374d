// LifetimeUsages::UsageThresholds::CheckService, table by table from Lago's own spec
// (spec/services/lifetime_usages/usage_thresholds/check_service_spec.rb): thresholds
// 10, 20, 31, 40 and a recurring 5; each row is (invoiced, current) → the amounts passed, in
// Lago's order (fixed ones ascending, then the recurring one).
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "invoice/progressive.hpp"

namespace {

using tariff::LifetimeUsage;
using tariff::UsageThreshold;

std::vector<UsageThreshold> thresholds(bool with_recurring) {
  std::vector<UsageThreshold> out;
  for (int64_t a : {10, 20, 31, 40}) out.push_back(UsageThreshold{"", std::nullopt, a, false, "", ""});
  if (with_recurring) out.push_back(UsageThreshold{"", std::nullopt, 5, true, "", ""});
  return out;
}

using Row = std::tuple<int64_t, int64_t, std::vector<int64_t>>;

void check(const std::vector<UsageThreshold>& ts, int64_t historical, int64_t billed, const std::vector<Row>& rows) {
  for (const auto& [invoiced, current, expected] : rows) {
    LifetimeUsage u;
    u.historical_cents = historical;
    u.invoiced_cents = invoiced;
    u.current_cents = current;
    std::vector<int64_t> got;
    for (const UsageThreshold* t : tariff::passed_thresholds(ts, u, billed)) got.push_back(t->amount_cents);
    EXPECT_EQ(got, expected) << "invoiced " << invoiced << " current " << current << " billed " << billed
                             << " historical " << historical;
  }
}

TEST(ProgressiveThresholds, LagoSpecWithoutProgressiveBilledAmount) {
  check(thresholds(true), 0, 0,
        {{0, 7, {}}, {0, 10, {10}}, {0, 31, {10, 20, 31}}, {0, 44, {10, 20, 31, 40}}, {0, 45, {10, 20, 31, 40, 5}},
         {9, 2, {10}}, {9, 20, {10, 20}}, {9, 31, {10, 20, 31, 40}}, {9, 37, {10, 20, 31, 40, 5}}, {11, 1, {}},
         {11, 10, {20}}, {21, 20, {31, 40}}, {21, 24, {31, 40, 5}}, {40, 2, {}}, {40, 5, {5}}, {41, 4, {5}},
         {49, 1, {5}}, {50, 0, {}}, {50, 5, {5}}});
}

TEST(ProgressiveThresholds, LagoSpecWithProgressiveBilledAmount10) {
  // current usage includes what the period's progressive invoice billed (10).
  check(thresholds(true), 0, 10,
        {{0, 7, {}}, {0, 10, {}}, {0, 31, {20, 31}}, {0, 44, {20, 31, 40}}, {0, 45, {20, 31, 40, 5}}, {9, 2, {}},
         {9, 20, {20}}, {9, 31, {20, 31, 40}}, {9, 37, {20, 31, 40, 5}}, {11, 1, {}}, {11, 10, {}}, {20, 20, {31, 40}},
         {21, 20, {40}}, {21, 24, {40, 5}}, {40, 14, {}}, {40, 15, {5}}, {41, 14, {5}}, {49, 1, {}}, {49, 11, {5}},
         {50, 5, {}}, {50, 15, {5}}});
}

TEST(ProgressiveThresholds, LagoSpecWithHistoricalUsage11) {
  check(thresholds(false), 11, 0,
        {{0, 7, {}}, {0, 9, {20}}, {0, 10, {20}}, {9, 0, {}}, {0, 31, {20, 31, 40}}, {8, 2, {20}}, {8, 20, {20, 31}},
         {8, 31, {20, 31, 40}}, {11, 1, {}}, {11, 10, {31}}, {21, 20, {40}}, {40, 2, {}}, {50, 0, {}}});
}

TEST(ProgressiveThresholds, NoneWithoutThresholds) {
  LifetimeUsage u;
  u.current_cents = 1000000;
  EXPECT_TRUE(tariff::passed_thresholds({}, u, 0).empty());
}

}  // namespace
