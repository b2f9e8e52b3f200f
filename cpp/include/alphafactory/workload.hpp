#pragma once
// The benchmark workload, generated against a live engine so that cancels hit live orders.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "alphafactory/records.hpp"

namespace alphafactory {

struct WorkloadParams {
  std::size_t n = 1'000'000;
  uint64_t seed = 0;
  std::size_t live_target = 5000;  // resting orders kept around this level
  double add_share = 0.6;          // limit adds; the rest: cancel_share cancels, then markets
  double cancel_share = 0.3;
  double marketable_share = 0.17;  // of limit adds: priced at the opposite best
  double geometric_p = 0.3;        // passive adds: 1 + Geometric(p) - 1 ticks behind the best
  int64_t initial_price = 100000;  // ticks
  int64_t max_qty = 9;             // qty uniform in 1..max_qty
};

// Messages of one account on instrument 0: limit adds (passive ones a geometric number of ticks
// behind the opposite best, `marketable_share` at the opposite best), cancels of live orders
// (qty 0) and market orders (price 0). When the live count leaves [target/2, 2*target] the mix
// leans towards adds or cancels to come back.
std::vector<OrderMsg> benchmark_workload(const WorkloadParams& params);

}  // namespace alphafactory
