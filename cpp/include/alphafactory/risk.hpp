#pragma once
// Pre-trade risk limits, applied per account to every new order and every MODIFY.
// A negative value switches a limit off; all limits are off by default. NaN and infinities are
// refused by validate(): a NaN compares false everywhere and would switch a check off unseen.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace alphafactory {

struct RiskLimits {
  int64_t max_order_qty = -1;       // lots
  double max_order_notional = -1;   // price units * quantity units (ticks * tick_size * lots * lot_size)
  int64_t max_position = -1;        // lots, absolute, per account and instrument, if fully filled
  int64_t max_open_orders = -1;     // resting orders per account (checked for LIMIT and POST_ONLY)
  int64_t collar_ticks = -1;        // max |price - reference| in ticks
  double collar_fraction = -1;      // max |price - reference| / reference
  bool any() const {
    return max_order_qty >= 0 || max_order_notional >= 0 || max_position >= 0 ||
           max_open_orders >= 0 || collar_ticks >= 0 || collar_fraction >= 0;
  }
  // Throws std::invalid_argument naming the first limit that is NaN or infinite (the integer
  // limits cannot be; any negative value of either kind is "off").
  void validate() const {
    check("max_order_notional", max_order_notional);
    check("collar_fraction", collar_fraction);
  }

 private:
  static void check(const char* name, double value) {
    if (!std::isfinite(value))
      throw std::invalid_argument(std::string("RiskLimits.") + name +
                                  ": must be a finite number (negative: off), got " +
                                  (std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf"));
  }
};

}  // namespace alphafactory
