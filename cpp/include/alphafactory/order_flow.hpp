#pragma once
// Background order flow after Cont, Stoikov and Talreja (2010), "A stochastic model for order
// book dynamics": per side, limit orders arrive at distance i = 1..K ticks from the opposite
// best at rate lambda(i) = scale / i^exponent, market orders at rate mu, and each resting order
// of the flow is cancelled at rate theta(i) (i its distance from the opposite best, capped at K).
// Events are drawn by Gillespie's method against the live book of the engine the flow drives;
// cancellations use thinning (a uniformly drawn flow order is cancelled with probability
// theta(i) / max theta; orders already filled by others are dropped when drawn), which is exact.
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "alphafactory/matching_engine.hpp"
#include "alphafactory/records.hpp"

namespace alphafactory {

struct OrderFlowParams {
  int32_t instrument = 0;
  int32_t account = -1;             // account of the flow's orders
  int64_t initial_price = 10000;    // ticks; centre of the seeded book
  int levels = 10;                  // K: limit orders arrive 1..K ticks from the opposite best
  double limit_rate_scale = 1.92;   // lambda(i) = scale / i^exponent, per side, per time unit
  double limit_rate_exponent = 0.52;
  double market_rate = 0.94;        // mu, per side, per time unit
  // theta(i) per resting order per time unit, i = 1..K (CST 2010, Table 2); the last value is
  // used beyond its length.
  std::vector<double> cancel_rates = {0.71, 0.81, 0.68, 0.56, 0.47, 0.37, 0.30, 0.24, 0.18, 0.12};
  int64_t order_qty = 1;            // lots per order
  int initial_depth = 5;            // orders per level seeded on 1..K each side of an empty book
  double time_unit_ns = 1e9;        // rates are per second of ts (nanoseconds)
  int64_t first_order_id = int64_t{1} << 40;
  int64_t start_ts = 0;
  uint64_t seed = 0;
};

class PoissonOrderFlow {
 public:
  explicit PoissonOrderFlow(const OrderFlowParams& params);

  // Draws events and processes each in `engine` at once, until `max_events` orders were emitted
  // or the next event would come after `until_ts` (then the clock stops at until_ts). Thinned
  // cancellation draws emit nothing and are not counted. The first call seeds an empty book
  // (those orders are appended too, not counted). Appends every generated order to `out`;
  // returns the number of orders emitted.
  std::size_t run(MatchingEngine& engine, std::size_t max_events, int64_t until_ts,
                  std::vector<OrderMsg>* out);

  int64_t now() const { return static_cast<int64_t>(t_); }
  std::size_t live_orders() const { return live_.size(); }

 private:
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  void submit(MatchingEngine& engine, std::vector<OrderMsg>* out, int8_t side, int8_t type,
              int64_t price);

  OrderFlowParams p_;
  std::mt19937_64 rng_;
  std::vector<double> lambda_cum_;  // cumulative lambda(1..K)
  double lambda_total_ = 0;
  double theta_max_ = 0;
  std::vector<int64_t> live_;
  double t_ = 0;
  int64_t next_id_ = 0;
  int64_t last_bid_ = 0;
  int64_t last_ask_ = 0;
  bool seeded_ = false;
};

}  // namespace alphafactory
