#include "alphafactory/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace alphafactory::backtest {
namespace {

double impact_power(double abs_q, double exponent) {
  if (exponent == 1.0) return abs_q;
  if (exponent == 0.5) return std::sqrt(abs_q);
  return std::pow(abs_q, exponent);
}

bool is_decision(const double* row, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    if (!std::isnan(row[i])) return true;
  }
  return false;
}

}  // namespace

void run_backtest(const BacktestInputs& in, const BacktestOutputs& out) {
  const std::int64_t T = in.n_bars;
  const std::int64_t N = in.n_assets;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const bool capped = in.participation_cap > 0.0 && in.volume != nullptr;
  const CostParameters& c = in.costs;
  const bool has_spread = c.half_spread.values != nullptr;
  const bool has_impact = c.impact_coef.values != nullptr;
  const bool has_commission =
      c.commission_per_share != 0.0 || c.commission_bps != 0.0 || c.commission_min != 0.0;

  std::vector<double> last(static_cast<std::size_t>(N), 0.0);  // 0 until a price is seen
  std::vector<double> pending(static_cast<std::size_t>(N), nan);
  std::int64_t n_pending = 0;
  double cash = in.initial_cash;
  double* ledger = out.ledger;

  for (std::int64_t s = 0; s < T; ++s) {
    double* shares = out.shares + s * N;
    if (s == 0) {
      std::fill(shares, shares + N, 0.0);
    } else {
      std::memcpy(shares, shares - N, static_cast<std::size_t>(N) * sizeof(double));
    }
    const double* exec = in.exec_price + s * N;
    const std::int64_t r = s - in.lag;
    const double* target = (r >= 0 && r < T) ? in.targets + r * N : nullptr;
    const bool decision = target != nullptr && is_decision(target, N);

    double value = cash;
    for (std::int64_t i = 0; i < N; ++i) {
      if (!std::isnan(exec[i])) last[i] = exec[i];
      value += shares[i] * last[i];
    }

    double spread_cost = 0.0, impact_cost = 0.0, commission_cost = 0.0, notional_sum = 0.0;
    if (decision || n_pending > 0) {
      if (decision) {
        std::fill(pending.begin(), pending.end(), nan);
        n_pending = 0;
      }
      for (std::int64_t i = 0; i < N; ++i) {
        double w;
        if (decision) {
          w = std::isnan(target[i]) ? 0.0 : target[i];
        } else {
          w = pending[i];
          if (std::isnan(w)) continue;
          pending[i] = nan;
          --n_pending;
        }
        const double px = exec[i];
        if (std::isnan(px)) continue;
        double goal = w * value / px;
        if (in.whole_shares) goal = std::trunc(goal);
        double q = goal - shares[i];
        const std::int64_t cell = s * N + i;
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
        if (q == 0.0) continue;
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
        shares[i] += q;
      }
    }

    const double* mark = in.mark_price + s * N;
    double borrow_cost = 0.0;
    double holdings = 0.0;
    for (std::int64_t i = 0; i < N; ++i) {
      if (!std::isnan(mark[i])) last[i] = mark[i];
      const double position_value = shares[i] * last[i];
      holdings += position_value;
      if (position_value < 0.0) borrow_cost -= position_value * in.borrow_per_bar;
    }
    cash -= borrow_cost;

    ledger[kCash * T + s] = cash;
    ledger[kEquity * T + s] = cash + holdings;
    ledger[kSpreadCost * T + s] = spread_cost;
    ledger[kImpactCost * T + s] = impact_cost;
    ledger[kCommissionCost * T + s] = commission_cost;
    ledger[kBorrowCost * T + s] = borrow_cost;
    ledger[kTradedNotional * T + s] = notional_sum;
  }
}

}  // namespace alphafactory::backtest
