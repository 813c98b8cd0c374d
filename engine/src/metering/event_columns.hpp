// The columns of the events' index (snapshot/events.cpp) as aggregation reads them: each
// event's parsed value, timestamp and plainness, in arrays walked in event order (issue 10 §4).
#pragma once

#include <cstdint>
#include <string>

#include "metering/aggregation.hpp"
#include "tariff/error.hpp"

namespace tariff {

// A numeric value beyond ±1.7e20 cannot be billed exactly: refuse, never guess.
[[noreturn]] inline void refuse_value(const Event& e, const std::string& field) {
  throw Failure(Error::validation("events[" + std::to_string(e.order) + "].properties." + field, "value_is_invalid"));
}

// What the events' index keeps of each event (event_values()), read for one metric field: its
// value, timestamp, and that it is neither an aggregate nor carries a precise amount, in
// arrays walked in event order rather than in the events themselves. An event not the
// index's (npos) is read from the event, as is a value parsed for another field.
class EventColumns {
 public:
  static constexpr size_t npos = SIZE_MAX;
  EventColumns(const EventIndex* ix, const std::string& field) : ix_(ix && ix->built ? ix : nullptr), field_(field) {
    if (!ix_) return;
    valued_ = ix_->values.built && !ix_->values.value.empty();
    timed_ = ix_->timestamps.size() == ix_->built_size;
    plain_ = timed_ && ix_->plain;
  }
  size_t index(const Event* e) const {
    if (!ix_) return npos;
    const uintptr_t base = reinterpret_cast<uintptr_t>(ix_->built_for), p = reinterpret_cast<uintptr_t>(e);
    if (p < base || (p - base) % sizeof(Event) != 0) return npos;
    const size_t k = (p - base) / sizeof(Event);
    return k < ix_->built_size ? k : npos;
  }
  Instant timestamp(const Event* e, size_t k) const { return timed_ && k != npos ? ix_->timestamps[k] : e->timestamp; }
  const UsageAggregate* aggregate(const Event* e, size_t k) const { return plain_ && k != npos ? nullptr : e->aggregate(); }
  const Decimal* precise(const Event* e, size_t k) const {
    return plain_ && k != npos ? nullptr : e->precise_total_amount_cents();
  }
  // parse_event_value()'s answer for the k-th event, −1 when none was parsed for this field.
  int state(size_t k, const Decimal*& value) {
    if (!valued_ || k == npos) return -1;
    const uint32_t g = ix_->group_of[k];
    if (g != group_) {
      group_ = g;
      const BillableMetric* m = ix_->values.metric[g];
      serves_ = m && m->field_name == field_;
    }
    if (!serves_) return -1;
    value = &ix_->values.value[k];
    return ix_->values.state[k];
  }
  // The value of an event that has one (selected by select_events).
  Decimal value(const Event* e, size_t k) {
    const Decimal* v = nullptr;
    switch (state(k, v)) {
      case 1: return *v;
      case 2: refuse_value(*e, field_);
      default: return *event_value(*e, field_);
    }
  }
  // An entry's value: the event's (numeric, selected) or the aggregate's sum.
  bool plain() const { return plain_; }
  Decimal entry_value(const Event* e, size_t k) {
    const UsageAggregate* g = aggregate(e, k);
    return g ? g->sum : value(e, k);
  }

 private:
  const EventIndex* ix_;
  const std::string& field_;
  bool valued_ = false, timed_ = false, plain_ = false;
  uint32_t group_ = UINT32_MAX;
  bool serves_ = false;
};

}  // namespace tariff
