#include "alphafactory/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

namespace alphafactory::backtest {
namespace {

// Column-major reads jump a whole column between assets; fetching the cache line a few bars
// ahead hides the memory latency the hardware prefetcher cannot predict.
constexpr std::int64_t kPrefetchBars = 32;

// Less than this much currency of an order the leverage limit shrinks is not traded: what is
// left of the slack after an order shrunk to fit it exactly is rounding noise.
constexpr double kDust = 1e-9;

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

// Costs of one order, by term.
struct OrderCost {
  double spread = 0.0, impact = 0.0, commission = 0.0;
  double total() const { return spread + impact + commission; }
};

// The cost terms in force, fixed for a run.
struct Costs {
  const CostParameters& c;
  bool has_spread, has_impact, has_commission;

  explicit Costs(const CostParameters& params)
      : c(params),
        has_spread(params.half_spread.values != nullptr),
        has_impact(params.impact_coef.values != nullptr),
        has_commission(params.commission_per_share != 0.0 || params.commission_bps != 0.0 ||
                       params.commission_min != 0.0) {}

  // Cost of an order of a > 0 shares at price px in one cell.
  OrderCost of(std::int64_t cell, double a, double px) const {
    OrderCost cost;
    const double notional = a * px;
    if (has_spread) cost.spread = notional * c.half_spread.at(cell);
    if (has_impact) {
      cost.impact = notional * c.impact_coef.at(cell) * impact_power(a, c.impact_exponent);
    }
    if (has_commission) {
      cost.commission = std::max(c.commission_min, c.commission_per_share * a +
                                                       c.commission_bps * 1e-4 * notional);
    }
    return cost;
  }
};

// The largest size a in [0, wanted] of an order whose slack after it is >= bound, for an order
// whose first `reducible` shares close an opposite position (the slack rises with a up to
// `reducible`, as long as a share costs less than its price, and falls beyond it). The slack
// after a shares is slack - leverage * cost(a) - (change of gross exposure).
double affordable_shares(const Costs& costs, std::int64_t cell, double px, double wanted,
                         double reducible, double slack, double bound, double leverage,
                         bool whole) {
  auto after = [&](double a) {
    const double gross_change = a <= reducible ? -a * px : (a - 2.0 * reducible) * px;
    return slack - leverage * costs.of(cell, a, px).total() - gross_change;
  };
  if (after(wanted) >= bound) return wanted;
  const double lo = reducible;
  if (lo >= wanted) return 0.0;  // a closing order that cannot pay its own costs
  const double lo_slack = lo > 0.0 ? after(lo) : slack - leverage * costs.c.commission_min;
  if (lo_slack < bound) return 0.0;
  double a = lo;
  if (!costs.has_impact) {
    // Piecewise linear: solve after(a) = bound on the commission's linear branch, else on its
    // minimum.
    const double half = costs.has_spread ? costs.c.half_spread.at(cell) : 0.0;
    const double room = slack - bound + 2.0 * reducible * px;
    const double rate =
        costs.c.commission_per_share + costs.c.commission_bps * 1e-4 * px;  // per share
    const double on_minimum =
        (room - leverage * costs.c.commission_min) / (px + leverage * px * half);
    if (rate > 0.0) {
      const double on_rate = room / (px + leverage * (px * half + rate));
      a = on_rate >= costs.c.commission_min / rate ? on_rate : on_minimum;
    } else {
      a = on_minimum;
    }
  } else {
    // after() falls monotonically on [lo, wanted]: bisect to the last representable size.
    double hi = wanted;
    for (int k = 0; k < 200; ++k) {
      const double mid = a + 0.5 * (hi - a);
      if (mid <= a || mid >= hi) break;
      (after(mid) >= bound ? a : hi) = mid;
    }
  }
  a = std::min(std::max(a, lo), wanted);
  if (whole) {
    a = std::floor(a);
    if (a >= 1.0 && after(a) < bound) a -= 1.0;  // a root computed a hair above an integer
  }
  return a * px >= kDust ? a : 0.0;
}

// Sums of one bar's marking pass.
struct BarMarks {
  double holdings = 0.0;       // positions at the close (last price where none)
  double short_value = 0.0;    // |short positions| at the close, for borrow
  double next_holdings = 0.0;  // positions at the next bar's execution prices: its value V
  Range prices;
};

// Mark one asset holding `held` shares after bar s's orders.
template <class Layout, bool kSamePrices, bool kBorrow>
inline void mark_asset(const double* exec_price, const double* mark_price, Layout at,
                       std::int64_t s, std::int64_t i, double px, double held, bool has_next,
                       double& last, BarMarks& m) {
  double price = std::isnan(px) ? last : px;
  m.prices.see(px);
  if constexpr (!kSamePrices) {
    const double close = mark_price[at(s, i)];
    m.prices.see(close);
    if (!std::isnan(close)) price = close;
  }
  last = price;
  const double position_value = held * price;
  m.holdings += position_value;
  if constexpr (kBorrow) m.short_value -= std::min(position_value, 0.0);
  if (has_next) {
    const double next_px = exec_price[at(s + 1, i)];
    m.next_holdings += held * (std::isnan(next_px) ? price : next_px);
  }
}

// The totals one bar's orders book.
struct Booked {
  double trade_value = 0.0;  // sum of q * price
  double spread = 0.0, impact = 0.0, commission = 0.0, notional = 0.0;
  double limited = 0.0;      // notional the leverage limit cut
};

// The orders of bar s (order[i] shares from before[i] shares; 0 = no order), booked in full into `booked`, `marks` and the holdings, but together leaving the
// slack at `slack` < 0. The limit executes them in sequence instead: those that do not lower the
// slack first, in full, then the others by ascending order value, each shrunk to what the slack
// then allows. Only the last, largest orders can be shrunk: those whose drains cover the excess
// are revisited, from the slack before them (the largest alone is usually enough; else a scan
// with costs finds them, plus one against rounding); what they do not execute is taken back out
// of the books.
template <class Layout>
void ration_orders(const BacktestInputs& in, Layout at, const Costs& costs, std::int64_t s,
                   double slack, const double* order, const double* before,
                   const double* last, double* held_now, double* shares_row, Booked& booked,
                   BarMarks& marks,
                   std::vector<std::pair<double, std::int64_t>>& rising) {
  const double leverage = in.max_leverage;
  auto drain = [&](std::int64_t i, double q, double px, const OrderCost& cost) {
    return leverage * cost.total() + (std::fabs(before[i] + q) - std::fabs(before[i])) * px;
  };
  auto drain_of = [&](std::int64_t i) {
    if (i < 0 || order[i] == 0.0) return 0.0;
    const std::int64_t cell = at(s, i);
    const double px = in.exec_price[cell];
    return drain(i, order[i], px, costs.of(cell, std::fabs(order[i]), px));
  };
  // The largest order by value (ties: the later symbol, as in a stable sort).
  std::int64_t largest = -1;
  double largest_value = -std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < in.n_assets; ++i) {
    const double value = order[i] * in.exec_price[at(s, i)];
    if (order[i] != 0.0 && value >= largest_value) {
      largest_value = value;
      largest = i;
    }
  }
  rising.clear();
  double popped = 0.0;
  const double first = drain_of(largest);
  if (first > -slack) {
    // The largest order alone covers the excess: every order before it fits.
    rising.emplace_back(largest_value, largest);
    popped = first;
  } else {
    // The largest orders that lower the slack, by descending value, until their drains exceed
    // the excess -slack, plus one: usually one or two, kept while scanning; a heap otherwise.
    constexpr int kTop = 4;
    std::pair<double, std::int64_t> top[kTop] = {};
    double top_drain[kTop] = {};
    int n_top = 0;
    std::int64_t n_rising = 0;
    for (std::int64_t i = 0; i < in.n_assets; ++i) {
      const double q = order[i];
      if (q == 0.0) continue;
      const std::int64_t cell = at(s, i);
      const double px = in.exec_price[cell];
      const double d = drain(i, q, px, costs.of(cell, std::fabs(q), px));
      const std::pair<double, std::int64_t> item(q * px, i);
      const bool rises = d > 0.0;
      n_rising += rises;
      // Bitwise, not short-circuit: which orders rise is a coin flip, joining the top is rare.
      if (!(rises & ((n_top < kTop) | (top[kTop - 1] < item)))) continue;
      int j = n_top < kTop ? n_top++ : kTop - 1;
      for (; j > 0 && top[j - 1] < item; --j) {
        top[j] = top[j - 1];
        top_drain[j] = top_drain[j - 1];
      }
      top[j] = item;
      top_drain[j] = d;
    }
    int n_popped = 0;
    while (n_popped < n_top && popped <= -slack) popped += top_drain[n_popped++];
    if (popped > -slack || n_popped == n_rising) {
      if (n_popped < n_top) popped += top_drain[n_popped++];  // the spare
      rising.assign(top, top + n_popped);
      std::reverse(rising.begin(), rising.end());
    } else {
      for (std::int64_t i = 0; i < in.n_assets; ++i) {
        if (order[i] == 0.0) continue;
        const std::int64_t cell = at(s, i);
        const double px = in.exec_price[cell];
        if (drain(i, order[i], px, costs.of(cell, std::fabs(order[i]), px)) > 0.0) {
          rising.emplace_back(order[i] * px, i);
        }
      }
      std::make_heap(rising.begin(), rising.end());
      auto first_popped = rising.end();
      popped = 0.0;
      bool spare = true;
      while (first_popped != rising.begin() && (popped <= -slack || spare)) {
        if (popped > -slack) spare = false;
        std::pop_heap(rising.begin(), first_popped);
        --first_popped;
        const std::int64_t i = first_popped->second;
        const std::int64_t cell = at(s, i);
        const double px = in.exec_price[cell];
        popped += drain(i, order[i], px, costs.of(cell, std::fabs(order[i]), px));
      }
      rising.erase(rising.begin(), first_popped);
    }
  }
  slack += popped;  // before the first of them
  for (auto it = rising.begin(); it != rising.end(); ++it) {  // ascending order value
    const std::int64_t i = it->second;
    const std::int64_t cell = at(s, i);
    const double px = in.exec_price[cell];
    const double q = order[i];
    const OrderCost full = costs.of(cell, std::fabs(q), px);
    const double d = drain(i, q, px, full);
    const double bound = std::min(slack, 0.0);
    if (slack - d >= bound) {
      slack -= d;
      continue;
    }
    const double wanted = std::fabs(q);
    const double reducible = before[i] * q < 0.0 ? std::fabs(before[i]) : 0.0;
    const double a = affordable_shares(costs, cell, px, wanted, reducible, slack, bound, leverage,
                                       in.whole_shares);
    const double executed = std::copysign(a, q);
    OrderCost cost;
    if (a > 0.0) {
      cost = costs.of(cell, a, px);
      slack -= drain(i, executed, px, cost);
    }
    booked.trade_value -= (q - executed) * px;
    booked.spread -= full.spread - cost.spread;
    booked.impact -= full.impact - cost.impact;
    booked.commission -= full.commission - cost.commission;
    booked.notional -= (wanted - a) * px;
    booked.limited += (wanted - a) * px;
    const double held_full = before[i] + q;
    const double held = before[i] + executed;
    const double price = last[i];  // this bar's mark
    marks.holdings += (held - held_full) * price;
    marks.short_value += std::min(held_full * price, 0.0) - std::min(held * price, 0.0);
    if (s + 1 < in.n_bars) {
      const double next_px = in.exec_price[at(s + 1, i)];
      marks.next_holdings += (held - held_full) * (std::isnan(next_px) ? price : next_px);
    }
    held_now[i] = held;
    shares_row[i] = held;
  }
}

// Bars [from, T) after a bankruptcy: no holdings, no cash, no costs, nothing read (the price
// and weight ranges are left empty, so the facade checks those bars' inputs itself).
void close_out(const BacktestOutputs& out, std::int64_t from, std::int64_t T, std::int64_t N) {
  std::fill(out.shares + from * N, out.shares + T * N, 0.0);
  for (std::int64_t row = 0; row < kLedgerRows; ++row) {
    const double fill = row == kMinPrice   ? std::numeric_limits<double>::infinity()
                        : row == kMaxPrice ? -std::numeric_limits<double>::infinity()
                                           : 0.0;
    std::fill(out.ledger + row * T + from, out.ledger + row * T + T, fill);
  }
}

// Per bar, one pass over the assets: size every order from the value before trading, book it in
// full, and mark the asset. When the orders together break the leverage limit (rare below full
// gross), ration_orders takes back what the limit does not execute.
// kSamePrices: execution and mark prices are one array (execution at the close). kBorrow: shorts
// pay borrow (else their value is not summed: one register fewer in the fast path).
template <class Layout, bool kSamePrices, bool kBorrow>
void run(const BacktestInputs& in, const BacktestOutputs& out, Layout at) {
  const std::int64_t T = in.n_bars;
  const std::int64_t N = in.n_assets;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double* const exec_price = in.exec_price;
  const double* const mark_price = in.mark_price;
  const double* const targets = in.targets;
  const bool capped = in.participation_cap > 0.0 && in.volume != nullptr;
  const bool whole = in.whole_shares;
  const Costs costs(in.costs);
  const double leverage = in.max_leverage;
  const bool flat = !capped && !costs.has_impact && !costs.has_commission && !whole &&
                    !in.costs.half_spread.per_cell;
  const double flat_spread = costs.has_spread ? in.costs.half_spread.values[0] : 0.0;

  std::vector<double> shares(static_cast<std::size_t>(N), 0.0);
  std::vector<double> last(static_cast<std::size_t>(N), 0.0);  // 0 until a price is seen
  std::vector<double> pending(static_cast<std::size_t>(N), nan);
  std::vector<double> order(static_cast<std::size_t>(N), 0.0);   // shares ordered this bar
  std::vector<double> before(static_cast<std::size_t>(N), 0.0);  // shares before the order
  std::vector<std::pair<double, std::int64_t>> rising;
  double* const held_now = shares.data();
  double* const order_of = order.data();
  double* const before_of = before.data();
  std::int64_t n_pending = 0;
  double cash = in.initial_cash;
  double value = cash;  // portfolio value at this bar's execution prices, before trading
  double* ledger = out.ledger;

  for (std::int64_t s = 0; s < T; ++s) {
    if (!(value > 0.0)) {
      // Bankrupt before trading: the portfolio at this bar's execution prices is worth nothing
      // (or less), so no order can be sized from it. Close out and stop.
      close_out(out, s, T, N);
      return;
    }
    const std::int64_t r = s - in.lag;
    bool decision = false;
    if (r >= 0 && r < T) {
      for (std::int64_t i = 0; i < N && !decision; ++i) decision = !std::isnan(targets[at(r, i)]);
    }
    const bool trading = decision || n_pending > 0;
    if (decision) {
      std::fill(pending.begin(), pending.end(), nan);
      n_pending = 0;
    }
    const bool has_next = s + 1 < T;
    double spread_cost = 0.0, impact_cost = 0.0, commission_cost = 0.0, notional_sum = 0.0;
    double trade_value = 0.0, limited_notional = 0.0;
    double weight_sum = 0.0;  // sum of |weight| read: infinite when one is
    double gross_now = 0.0;  // gross exposure after the orders, at the execution prices
    BarMarks m;
    double* const shares_row = out.shares + s * N;

    if (decision && flat) {
      // Fast path for the common case (a decision row, a flat cost per notional, no per-order
      // state): the same arithmetic with the spread summed once per bar.
      for (std::int64_t i = 0; i < N; ++i) {
        const std::int64_t cell = at(s, i);
        if (Layout::kStrided && s + kPrefetchBars < T) {
          prefetch(exec_price + at(s + kPrefetchBars, i));
          prefetch(targets + at(r + kPrefetchBars, i));
          if constexpr (!kSamePrices) prefetch(mark_price + at(s + kPrefetchBars, i));
        }
        const double px = exec_price[cell];
        double held = held_now[i];
        if (!std::isnan(px)) {
          const double target = targets[at(r, i)];
          const double w = std::isnan(target) ? 0.0 : target;
          weight_sum += std::fabs(w);  // and |held after| * px = |w| * V
          const double q = w * value / px - held;
          trade_value += q * px;
          notional_sum += std::fabs(q) * px;
          order_of[i] = q;
          before_of[i] = held;
          held += q;
          held_now[i] = held;
        } else {
          order_of[i] = 0.0;
          gross_now += std::fabs(held * last[i]);
        }
        mark_asset<Layout, kSamePrices, kBorrow>(exec_price, mark_price, at, s, i, px, held, has_next,
                                        last[i], m);
        shares_row[i] = held;
      }
      spread_cost = notional_sum * flat_spread;
      gross_now += weight_sum * value;
    } else {
      for (std::int64_t i = 0; i < N; ++i) {
        const std::int64_t cell = at(s, i);
        const double px = exec_price[cell];
        double held = held_now[i];
        double q = 0.0;
        if (trading && !std::isnan(px)) {
          double w = nan;
          if (decision) {
            const double target = targets[at(r, i)];
            w = std::isnan(target) ? 0.0 : target;
            weight_sum += std::fabs(w);
          } else if (!std::isnan(pending[i])) {
            w = pending[i];
            pending[i] = nan;
            --n_pending;
          }
          if (!std::isnan(w)) {
            double goal = w * value / px;
            if (whole) goal = std::trunc(goal);
            q = goal - held;
            if (capped) {
              const double vol = in.volume[cell];
              const double limit = std::isnan(vol) ? 0.0 : in.participation_cap * vol;
              if (std::fabs(q) > limit) {
                q = std::copysign(whole ? std::floor(limit) : limit, q);
                if (in.carry_unfilled) {
                  pending[i] = w;
                  ++n_pending;
                }
              }
            }
            if (q != 0.0) {
              const OrderCost cost = costs.of(cell, std::fabs(q), px);
              spread_cost += cost.spread;
              impact_cost += cost.impact;
              commission_cost += cost.commission;
              trade_value += q * px;
              notional_sum += std::fabs(q) * px;
              before_of[i] = held;
              held += q;
              held_now[i] = held;
            }
          }
        } else if (trading && !decision && !std::isnan(pending[i])) {
          pending[i] = nan;  // a carried order of an untradable symbol is dropped
          --n_pending;
        }
        order_of[i] = q;
        gross_now += std::fabs(held * (std::isnan(px) ? last[i] : px));
        mark_asset<Layout, kSamePrices, kBorrow>(exec_price, mark_price, at, s, i, px, held, has_next,
                                        last[i], m);
        shares_row[i] = held;
      }
    }

    if (notional_sum > 0.0) {
      const double slack = leverage * (value - spread_cost - impact_cost - commission_cost) -
                           gross_now;
      if (slack < 0.0) {
        // The orders do not all fit (when they do, the slack only falls while orders that raise
        // exposure execute and ends >= 0, so their order changes nothing).
        Booked booked{trade_value, spread_cost, impact_cost, commission_cost, notional_sum, 0.0};
        BarMarks marks = m;
        ration_orders(in, at, costs, s, slack, order_of, before_of, last.data(), held_now,
                      shares_row, booked, marks, rising);
        trade_value = booked.trade_value;
        spread_cost = booked.spread;
        impact_cost = booked.impact;
        commission_cost = booked.commission;
        notional_sum = booked.notional;
        limited_notional = booked.limited;
        m = marks;
      }
      cash -= trade_value + spread_cost + impact_cost + commission_cost;
    }
    const double borrow_cost = m.short_value * in.borrow_per_bar;
    cash -= borrow_cost;
    value = cash + m.next_holdings;
    const double equity = cash + m.holdings;

    ledger[kCash * T + s] = cash;
    ledger[kEquity * T + s] = equity;
    ledger[kSpreadCost * T + s] = spread_cost;
    ledger[kImpactCost * T + s] = impact_cost;
    ledger[kCommissionCost * T + s] = commission_cost;
    ledger[kBorrowCost * T + s] = borrow_cost;
    ledger[kTradedNotional * T + s] = notional_sum;
    ledger[kLimitedNotional * T + s] = limited_notional;
    ledger[kMinPrice * T + s] = m.prices.lo;
    ledger[kMaxPrice * T + s] = m.prices.hi;
    ledger[kAbsWeightSum * T + s] = weight_sum;
    if (!(equity > 0.0)) {
      // Bankrupt at the close: the positions are closed at the marks (the shortfall is the
      // lender's), cash and equity are 0 from here on and nothing trades again.
      std::fill(shares_row, shares_row + N, 0.0);
      ledger[kCash * T + s] = 0.0;
      ledger[kEquity * T + s] = 0.0;
      if (s + 1 < T) close_out(out, s + 1, T, N);
      return;
    }
  }
}

}  // namespace

void run_backtest(const BacktestInputs& in, const BacktestOutputs& out) {
  const bool same = in.exec_price == in.mark_price;
  const bool borrow = in.borrow_per_bar != 0.0;
  if (in.column_major) {
    const ColumnMajor at{in.n_bars, in.n_assets};
    if (same) {
      borrow ? run<ColumnMajor, true, true>(in, out, at) : run<ColumnMajor, true, false>(in, out, at);
    } else {
      borrow ? run<ColumnMajor, false, true>(in, out, at)
             : run<ColumnMajor, false, false>(in, out, at);
    }
  } else {
    const RowMajor at{in.n_bars, in.n_assets};
    if (same) {
      borrow ? run<RowMajor, true, true>(in, out, at) : run<RowMajor, true, false>(in, out, at);
    } else {
      borrow ? run<RowMajor, false, true>(in, out, at) : run<RowMajor, false, false>(in, out, at);
    }
  }
}

}  // namespace alphafactory::backtest
