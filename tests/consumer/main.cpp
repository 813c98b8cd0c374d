// A program outside the repository using the engine: the README's proposal preview, a new
// customer on a 31.00 monthly plan paid in advance from 15 March: 17 of 31 days × 3100 = 1700.
#include <cstdio>

#include "tariff/engine.hpp"

int main() {
  const char* snapshot = R"({"now": "2024-03-15T00:00:00Z",
    "organization": {"timezone": "UTC", "default_currency": "USD"},
    "plans": [{"code": "monthly_adv", "name": "Monthly", "interval": "monthly", "amount_cents": 3100,
               "amount_currency": "USD", "pay_in_advance": true}],
    "request": {"customer": {"currency": "USD"}, "plan_code": "monthly_adv",
                "subscription_at": "2024-03-15T00:00:00Z"}})";
  const tariff::Result r = tariff::run(tariff::Operation::preview, snapshot);
  std::printf("%s\n", r.body.c_str());
  return r.ok() ? 0 : 1;
}
