#include "alphafactory/workload.hpp"

#include <cmath>
#include <random>

#include "alphafactory/matching_engine.hpp"

namespace alphafactory {

std::vector<OrderMsg> benchmark_workload(const WorkloadParams& p) {
  std::mt19937_64 rng(p.seed);
  const auto uniform = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  EngineConfig config;
  config.emit_accepted = false;
  MatchingEngine engine(config);
  std::vector<OrderMsg> out;
  out.reserve(p.n);
  std::vector<int64_t> live;
  int64_t next_id = 1, bid = p.initial_price - 1, ask = p.initial_price + 1;
  const double log_q = std::log(1.0 - p.geometric_p);
  for (std::size_t i = 0; i < p.n; ++i) {
    engine.clear_output();
    const int64_t bb = engine.best_bid(0), ba = engine.best_ask(0);
    if (bb != kNoPrice) bid = bb;
    if (ba != kNoPrice) ask = ba;
    double u = uniform();
    if (live.size() < p.live_target / 2) u = u * p.add_share;  // refill: adds only
    else if (live.size() > 2 * p.live_target) u = p.add_share + u * p.cancel_share;
    OrderMsg m{};
    m.ts = static_cast<int64_t>(i);
    m.side = uniform() < 0.5 ? kBuy : kSell;
    m.qty = 1 + static_cast<int64_t>(uniform() * static_cast<double>(p.max_qty));
    if (u < p.add_share) {
      m.type = static_cast<int8_t>(OrderType::kLimit);
      m.order_id = next_id++;
      const int64_t opposite = m.side == kBuy ? ask : bid;
      if (uniform() < p.marketable_share) {
        m.price = opposite;
      } else {
        const int64_t d = 1 + static_cast<int64_t>(std::floor(std::log(1.0 - uniform()) / log_q));
        m.price = m.side == kBuy ? opposite - d : opposite + d;
        if (m.price < 1) m.price = 1;
      }
    } else if (u < p.add_share + p.cancel_share && !live.empty()) {
      // A live order, chosen uniformly; ids found filled are dropped on the way.
      while (!live.empty()) {
        const std::size_t j = static_cast<std::size_t>(uniform() * static_cast<double>(live.size()));
        const int64_t id = live[j];
        live[j] = live.back();
        live.pop_back();
        if (engine.is_live(id)) {
          m.order_id = id;
          break;
        }
      }
      if (m.order_id == 0) {
        --i;
        continue;
      }
      m.type = static_cast<int8_t>(OrderType::kCancel);
      m.qty = 0;
    } else {
      m.type = static_cast<int8_t>(OrderType::kMarket);
      m.order_id = next_id++;
    }
    engine.process_one(m);
    if (m.type == static_cast<int8_t>(OrderType::kLimit) && engine.is_live(m.order_id))
      live.push_back(m.order_id);
    out.push_back(m);
  }
  return out;
}

}  // namespace alphafactory
