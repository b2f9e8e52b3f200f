#include "alphafactory/order_flow.hpp"

#include <cmath>
#include <stdexcept>

namespace alphafactory {

PoissonOrderFlow::PoissonOrderFlow(const OrderFlowParams& params)
    : p_(params), rng_(params.seed), t_(static_cast<double>(params.start_ts)),
      next_id_(params.first_order_id) {
  if (p_.levels < 1) throw std::invalid_argument("levels must be >= 1");
  if (p_.cancel_rates.empty()) throw std::invalid_argument("cancel_rates must not be empty");
  if (!(p_.limit_rate_scale > 0) || !(p_.market_rate >= 0) || !(p_.time_unit_ns > 0))
    throw std::invalid_argument("rates must be > 0 (market rate >= 0), time unit > 0");
  if (p_.order_qty < 1 || p_.initial_price < p_.levels + 1)
    throw std::invalid_argument("order_qty must be >= 1 and initial_price > levels ticks");
  for (double th : p_.cancel_rates) {
    if (!(th >= 0)) throw std::invalid_argument("cancel rates must be >= 0");
    theta_max_ = th > theta_max_ ? th : theta_max_;
  }
  for (int i = 1; i <= p_.levels; ++i) {
    lambda_total_ += p_.limit_rate_scale / std::pow(static_cast<double>(i), p_.limit_rate_exponent);
    lambda_cum_.push_back(lambda_total_);
  }
  last_bid_ = p_.initial_price - 1;
  last_ask_ = p_.initial_price + 1;
}

void PoissonOrderFlow::submit(MatchingEngine& engine, std::vector<OrderMsg>* out, int8_t side,
                              int8_t type, int64_t price) {
  const OrderMsg m{static_cast<int64_t>(t_), next_id_++, price, p_.order_qty, p_.account,
                   p_.instrument, side, type, {}};
  engine.process_one(m);
  out->push_back(m);
  if (type == static_cast<int8_t>(OrderType::kLimit) && engine.is_live(m.order_id))
    live_.push_back(m.order_id);
}

std::size_t PoissonOrderFlow::run(MatchingEngine& engine, std::size_t max_events,
                                  int64_t until_ts, std::vector<OrderMsg>* out) {
  const int8_t limit = static_cast<int8_t>(OrderType::kLimit);
  if (!seeded_) {
    seeded_ = true;
    if (engine.best_bid(p_.instrument) == kNoPrice && engine.best_ask(p_.instrument) == kNoPrice) {
      for (int i = 1; i <= p_.levels; ++i)
        for (int k = 0; k < p_.initial_depth; ++k) {
          submit(engine, out, kBuy, limit, p_.initial_price - i);
          submit(engine, out, kSell, limit, p_.initial_price + i);
        }
    }
  }
  std::size_t drawn = 0;
  while (drawn < max_events) {
    const int64_t bb = engine.best_bid(p_.instrument), ba = engine.best_ask(p_.instrument);
    if (bb != kNoPrice) last_bid_ = bb;
    if (ba != kNoPrice) last_ask_ = ba;
    const int64_t bid = bb != kNoPrice ? bb : (ba != kNoPrice ? ba - 1 : last_bid_);
    const int64_t ask = ba != kNoPrice ? ba : (bb != kNoPrice ? bb + 1 : last_ask_);
    const double cancel_total = theta_max_ * static_cast<double>(live_.size());
    const double total = 2 * lambda_total_ + 2 * p_.market_rate + cancel_total;
    const double dt = -std::log(1.0 - uniform()) / total * p_.time_unit_ns;
    if (t_ + dt > static_cast<double>(until_ts)) {
      t_ = static_cast<double>(until_ts) > t_ ? static_cast<double>(until_ts) : t_;
      break;
    }
    t_ += dt;
    double r = uniform() * total;
    if (r < 2 * lambda_total_) {
      const int8_t side = r < lambda_total_ ? kBuy : kSell;
      if (side == kSell) r -= lambda_total_;
      int i = 0;
      while (i + 1 < p_.levels && lambda_cum_[static_cast<std::size_t>(i)] <= r) ++i;
      const int64_t price = side == kBuy ? ask - (i + 1) : bid + (i + 1);
      if (price >= 1) {
        submit(engine, out, side, limit, price);
        ++drawn;
      }
      continue;
    }
    r -= 2 * lambda_total_;
    if (r < 2 * p_.market_rate) {
      submit(engine, out, r < p_.market_rate ? kBuy : kSell, static_cast<int8_t>(OrderType::kMarket),
             0);
      ++drawn;
      continue;
    }
    if (live_.empty()) continue;
    // Cancellation by thinning over the flow's own orders.
    const std::size_t j = static_cast<std::size_t>(uniform() * static_cast<double>(live_.size()));
    const int64_t id = live_[j];
    OrderInfo info{};
    if (!engine.lookup(id, &info)) {  // filled (or cancelled) by someone else
      live_[j] = live_.back();
      live_.pop_back();
      continue;
    }
    int64_t dist = info.side == kBuy ? ask - info.price : info.price - bid;
    if (dist < 1) dist = 1;
    const std::size_t k = static_cast<std::size_t>(dist - 1);
    const double theta =
        p_.cancel_rates[k < p_.cancel_rates.size() ? k : p_.cancel_rates.size() - 1];
    if (uniform() * theta_max_ < theta) {
      const OrderMsg m{static_cast<int64_t>(t_), id, 0, 0, p_.account, p_.instrument, info.side,
                       static_cast<int8_t>(OrderType::kCancel), {}};
      engine.process_one(m);
      out->push_back(m);
      live_[j] = live_.back();
      live_.pop_back();
      ++drawn;
    }
  }
  return drawn;
}

}  // namespace alphafactory
