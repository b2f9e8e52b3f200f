#include "alphafactory/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace alphafactory::backtest {
namespace {

// Column-major reads jump a whole column between assets; fetching the cache line a few bars
// ahead hides the memory latency the hardware prefetcher cannot predict.
constexpr std::int64_t kPrefetchBars = 32;

inline void prefetch(const double* address) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address);
#else
  (void)address;
#endif
}

struct RowMajor {
  static constexpr bool kStrided = false;
  std::int64_t n_bars, n_assets;
  std::int64_t operator()(std::int64_t s, std::int64_t i) const { return s * n_assets + i; }
};

struct ColumnMajor {
  static constexpr bool kStrided = true;
  std::int64_t n_bars, n_assets;
  std::int64_t operator()(std::int64_t s, std::int64_t i) const { return i * n_bars + s; }
};

// Running min and max that skip NaN (comparisons with NaN are false).
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void see(double x) {
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
};

double impact_power(double abs_q, double exponent) {
  if (exponent == 1.0) return abs_q;
  if (exponent == 0.5) return std::sqrt(abs_q);
  return std::pow(abs_q, exponent);
}

// One pass over the assets per bar: trade at the execution price, mark at the close, and sum the
// holdings at the next bar's execution prices, which is the value the next rebalance sizes from.
// kSamePrices: execution and mark prices are one array (execution at the close).
template <class Layout, bool kSamePrices>
void run(const BacktestInputs& in, const BacktestOutputs& out, Layout at) {
  const std::int64_t T = in.n_bars;
  const std::int64_t N = in.n_assets;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const bool capped = in.participation_cap > 0.0 && in.volume != nullptr;
  const CostParameters& c = in.costs;
  const bool has_spread = c.half_spread.values != nullptr;
  const bool has_impact = c.impact_coef.values != nullptr;
  const bool has_commission =
      c.commission_per_share != 0.0 || c.commission_bps != 0.0 || c.commission_min != 0.0;

  const bool flat = !capped && !has_impact && !has_commission && !in.whole_shares &&
                    !c.half_spread.per_cell;
  const double flat_spread = has_spread ? c.half_spread.values[0] : 0.0;
  std::vector<double> shares(static_cast<std::size_t>(N), 0.0);
  std::vector<double> last(static_cast<std::size_t>(N), 0.0);  // 0 until a price is seen
  std::vector<double> pending(static_cast<std::size_t>(N), nan);
  std::int64_t n_pending = 0;
  double cash = in.initial_cash;
  double value = cash;  // portfolio value at this bar's execution prices, before trading
  double* ledger = out.ledger;

  for (std::int64_t s = 0; s < T; ++s) {
    const std::int64_t r = s - in.lag;
    bool decision = false;
    if (r >= 0 && r < T) {
      for (std::int64_t i = 0; i < N && !decision; ++i) decision = !std::isnan(in.targets[at(r, i)]);
    }
    const bool trading = decision || n_pending > 0;
    if (decision) {
      std::fill(pending.begin(), pending.end(), nan);
      n_pending = 0;
    }
    const bool has_next = s + 1 < T;
    double spread_cost = 0.0, impact_cost = 0.0, commission_cost = 0.0, notional_sum = 0.0;
    double holdings = 0.0, next_holdings = 0.0, borrow_cost = 0.0;
    Range prices;
    double max_abs_weight = 0.0;

    if (decision && flat) {
      // Fast path for the common case (a decision row, a flat cost per notional, no per-order
      // state): the same arithmetic with the spread summed once per bar.
      double trade_value = 0.0;
      for (std::int64_t i = 0; i < N; ++i) {
        const std::int64_t cell = at(s, i);
        if (Layout::kStrided && s + kPrefetchBars < T) {
          prefetch(in.exec_price + at(s + kPrefetchBars, i));
          prefetch(in.targets + at(r + kPrefetchBars, i));
        }
        const double px = in.exec_price[cell];
        double held = shares[i];
        if (!std::isnan(px)) {
          const double target = in.targets[at(r, i)];
          const double w = std::isnan(target) ? 0.0 : target;
          max_abs_weight = std::fabs(w) > max_abs_weight ? std::fabs(w) : max_abs_weight;
          const double q = w * value / px - held;
          trade_value += q * px;
          notional_sum += std::fabs(q) * px;
          held += q;
          shares[i] = held;
        }
        double price = std::isnan(px) ? last[i] : px;
        prices.see(px);
        if constexpr (!kSamePrices) {
          const double mark = in.mark_price[cell];
          prices.see(mark);
          if (!std::isnan(mark)) price = mark;
        }
        last[i] = price;
        const double position_value = held * price;
        holdings += position_value;
        borrow_cost -= std::min(position_value, 0.0);
        out.shares[s * N + i] = held;
        if (has_next) {
          const double next_px = in.exec_price[at(s + 1, i)];
          next_holdings += held * (std::isnan(next_px) ? price : next_px);
        }
      }
      spread_cost = notional_sum * flat_spread;
      cash -= trade_value + spread_cost;
    } else {
    for (std::int64_t i = 0; i < N; ++i) {
      const std::int64_t cell = at(s, i);
      const double px = in.exec_price[cell];
      double held = shares[i];
      if (trading && !std::isnan(px)) {
        double w = nan;
        if (decision) {
          const double target = in.targets[at(r, i)];
          w = std::isnan(target) ? 0.0 : target;
          max_abs_weight = std::fabs(w) > max_abs_weight ? std::fabs(w) : max_abs_weight;
        } else if (!std::isnan(pending[i])) {
          w = pending[i];
          pending[i] = nan;
          --n_pending;
        }
        if (!std::isnan(w)) {
          double goal = w * value / px;
          if (in.whole_shares) goal = std::trunc(goal);
          double q = goal - held;
          if (capped) {
            const double vol = in.volume[cell];
            const double limit = std::isnan(vol) ? 0.0 : in.participation_cap * vol;
            if (std::fabs(q) > limit) {
              q = std::copysign(in.whole_shares ? std::floor(limit) : limit, q);
              if (in.carry_unfilled) {
                pending[i] = w;
                ++n_pending;
              }
            }
          }
          if (q != 0.0) {
            const double abs_q = std::fabs(q);
            const double notional = abs_q * px;
            double cost = 0.0;
            if (has_spread) {
              const double sc = notional * c.half_spread.at(cell);
              spread_cost += sc;
              cost += sc;
            }
            if (has_impact) {
              const double ic =
                  notional * c.impact_coef.at(cell) * impact_power(abs_q, c.impact_exponent);
              impact_cost += ic;
              cost += ic;
            }
            if (has_commission) {
              const double cc = std::max(
                  c.commission_min,
                  c.commission_per_share * abs_q + c.commission_bps * 1e-4 * notional);
              commission_cost += cc;
              cost += cc;
            }
            notional_sum += notional;
            cash -= q * px + cost;
            held += q;
            shares[i] = held;
          }
        }
      } else if (!decision && !std::isnan(pending[i])) {
        pending[i] = nan;  // a carried order of an untradable symbol is dropped
        --n_pending;
      }
      double price = last[i];
      if (!std::isnan(px)) price = px;
      const double mark = in.mark_price[cell];
      prices.see(px);
      prices.see(mark);
      if (!std::isnan(mark)) price = mark;
      last[i] = price;
      const double position_value = held * price;
      holdings += position_value;
      if (position_value < 0.0) borrow_cost -= position_value;
      out.shares[s * N + i] = held;
      if (has_next) {
        const double next_px = in.exec_price[at(s + 1, i)];
        next_holdings += held * (std::isnan(next_px) ? price : next_px);
      }
    }
    }
    borrow_cost *= in.borrow_per_bar;
    cash -= borrow_cost;
    value = cash + next_holdings;

    ledger[kCash * T + s] = cash;
    ledger[kEquity * T + s] = cash + holdings;
    ledger[kSpreadCost * T + s] = spread_cost;
    ledger[kImpactCost * T + s] = impact_cost;
    ledger[kCommissionCost * T + s] = commission_cost;
    ledger[kBorrowCost * T + s] = borrow_cost;
    ledger[kTradedNotional * T + s] = notional_sum;
    ledger[kMinPrice * T + s] = prices.lo;
    ledger[kMaxPrice * T + s] = prices.hi;
    ledger[kMaxAbsWeight * T + s] = max_abs_weight;
  }
}

}  // namespace

void run_backtest(const BacktestInputs& in, const BacktestOutputs& out) {
  const bool same = in.exec_price == in.mark_price;
  if (in.column_major) {
    const ColumnMajor at{in.n_bars, in.n_assets};
    same ? run<ColumnMajor, true>(in, out, at) : run<ColumnMajor, false>(in, out, at);
  } else {
    const RowMajor at{in.n_bars, in.n_assets};
    same ? run<RowMajor, true>(in, out, at) : run<RowMajor, false>(in, out, at);
  }
}

}  // namespace alphafactory::backtest
