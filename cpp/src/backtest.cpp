#include "alphafactory/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace alphafactory::backtest {
namespace {

// Less than this much currency of an order the leverage limit shrinks is not traded: what is
// left of the slack after an order shrunk to fit it exactly is rounding noise.
constexpr double kDust = 1e-9;

// Column-major inputs (a pandas frame's layout) are read through a row-major window of a few
// bars, refilled per block: the bar loop then reads each bar's assets contiguously, as from
// row-major inputs, and the copy reads every column in runs of whole cache lines. A window of
// about kWindowCells values per input keeps the windows in L2.
constexpr std::int64_t kWindowCells = 16384;

// Into L2 (a window's worth of lines would not stay in L1 until read).
inline void prefetch(const double* address) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address, 0, 2);
#else
  (void)address;
#endif
}

struct RowMajor {
  static constexpr bool kWindowed = false;
  std::int64_t row0, n_assets;  // row0 is 0: cell (s, i) of the inputs themselves
  std::int64_t operator()(std::int64_t s, std::int64_t i) const { return s * n_assets + i; }
};

// Cell (s, i) of a row-major window holding rows [row0, row0 + rows) of column-major inputs.
struct Windowed {
  static constexpr bool kWindowed = true;
  std::int64_t row0, n_assets;
  std::int64_t operator()(std::int64_t s, std::int64_t i) const {
    return (s - row0) * n_assets + i;
  }
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

// The largest order of a bar by value q * price (ties: the later symbol, as in a stable sort);
// index -1 when there is none.
struct Largest {
  double value = -std::numeric_limits<double>::infinity();
  std::int64_t index = -1;
  bool known = false;  // found while the bar was booked (else ration_orders scans for it)

  void see(std::int64_t i, double q, double value_i) {
    if (q != 0.0 && value_i >= value) {
      value = value_i;
      index = i;
    }
  }
};

// The totals one bar's orders book.
struct Booked {
  double trade_value = 0.0;  // sum of q * price
  double spread = 0.0, impact = 0.0, commission = 0.0, notional = 0.0;
  double limited = 0.0;      // notional the leverage limit cut
};

// The orders of bar s (order[i] shares from before[i] shares; 0 = no order), booked in full
// into `booked`, `marks` and the holdings, but together leaving the
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
                   BarMarks& marks, Largest found,
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
  if (!found.known) {
    for (std::int64_t i = 0; i < in.n_assets; ++i) {
      found.see(i, order[i], order[i] * in.exec_price[at(s, i)]);
    }
  }
  const std::int64_t largest = found.index;
  const double largest_value = found.value;
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

// The fast path's bar (a decision row, a flat cost per notional) in two passes over blocks of
// kFlatBlock assets: flat_terms sizes the orders and computes, per asset, every term the bar
// sums, elementwise (so the compiler vectorizes it); flat_sums then adds them up in asset
// order. Each sum adds the same numbers in the same order as a one-pass scalar loop, so the
// results are bit for bit those of the one-pass loop this replaced; an asset without an
// execution price adds +0.0 to the sums it is not part of, which leaves them unchanged (none
// of them can be -0.0: they start at +0.0 and x + -x is +0.0).
constexpr std::int64_t kFlatBlock = 256;

struct FlatTerms {
  double abs_weight[kFlatBlock];  // |w| (0 without a price)
  double trade[kFlatBlock];       // q * price
  double notional[kFlatBlock];    // |q| * price
  double idle[kFlatBlock];        // |held * last| of an asset without a price (else 0)
  double close[kFlatBlock];       // holdings after the bar at its close
  double next[kFlatBlock];        // the same at the next bar's execution prices
  bool unpriced = false;          // an asset of the block has no execution price
};

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define ALPHAFACTORY_X86_DISPATCH 1
#endif

// std::isnan and std::fabs are not inlined into a function compiled with other options (below).
#if defined(__GNUC__) || defined(__clang__)
#define ALPHAFACTORY_ISNAN __builtin_isnan
#define ALPHAFACTORY_FABS __builtin_fabs
#else
#define ALPHAFACTORY_ISNAN std::isnan
#define ALPHAFACTORY_FABS std::fabs
#endif

// GCC does not if-convert floating-point arithmetic it may move under a condition unless it
// may assume no trap (clang's default): -fno-trapping-math changes no result, only what a
// program that reads the floating-point exception flags would see (this one reads none).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-trapping-math")
#endif
// Row pointers of one bar and block: px, target, close (mark prices; unused when kSamePrices),
// next_px (unused without kNext) are inputs; held and last are updated in place; order, before
// and shares_row are written.
template <bool kSamePrices, bool kNext>
[[gnu::always_inline]] inline void flat_terms_body(
    std::int64_t n, double value, const double* __restrict px,
                const double* __restrict target, const double* __restrict close,
                const double* __restrict next_px, double* __restrict held,
                double* __restrict last, double* __restrict order, double* __restrict before,
                double* __restrict shares_row, FlatTerms& __restrict t) {
  for (std::int64_t i = 0; i < n; ++i) {
    // Every term is computed from unconditional values, then selected: no branch (and no
    // arithmetic under a condition, which the compiler would not speculate), so it vectorizes.
    const double p = px[i], h = held[i], l = last[i], w_in = target[i];
    const bool priced = !ALPHAFACTORY_ISNAN(p);
    const double w = ALPHAFACTORY_ISNAN(w_in) ? 0.0 : w_in;
    const double sized = w * value / p - h;
    const double abs_w = ALPHAFACTORY_FABS(w), traded = sized * p;
    const double notional = ALPHAFACTORY_FABS(sized) * p;
    const double idle = ALPHAFACTORY_FABS(h * l), moved = h + sized;
    const double q = priced ? sized : 0.0;
    t.abs_weight[i] = priced ? abs_w : 0.0;
    t.trade[i] = priced ? traded : 0.0;
    t.notional[i] = priced ? notional : 0.0;
    t.idle[i] = priced ? 0.0 : idle;
    const double after = priced ? moved : h;
    double price = priced ? p : l;
    if constexpr (!kSamePrices) {
      const double c = close[i];
      price = ALPHAFACTORY_ISNAN(c) ? price : c;
    }
    t.close[i] = after * price;
    if constexpr (kNext) {
      const double np = next_px[i];
      t.next[i] = after * (ALPHAFACTORY_ISNAN(np) ? price : np);
    }
    order[i] = q;
    before[i] = h;
    held[i] = after;
    last[i] = price;
    shares_row[i] = after;
  }
  // Whether any asset lacks a price (the sum of their idle gross is then taken).
  std::int64_t missing = 0;
  for (std::int64_t i = 0; i < n; ++i) missing += ALPHAFACTORY_ISNAN(px[i]) ? 1 : 0;
  t.unpriced = missing > 0;
}

// The same, compiled for the baseline instruction set and, on x86-64, for AVX2 (4 doubles a
// vector, and a blend a select): lane-wise IEEE arithmetic without FMA, so both give the same
// bits; run() picks one per call (flat_terms_wide when the CPU has AVX2).
template <bool kSamePrices, bool kNext>
void flat_terms(std::int64_t n, double value, const double* __restrict px,
                const double* __restrict target, const double* __restrict close,
                const double* __restrict next_px, double* __restrict held,
                double* __restrict last, double* __restrict order, double* __restrict before,
                double* __restrict shares_row, FlatTerms& __restrict t) {
  flat_terms_body<kSamePrices, kNext>(n, value, px, target, close, next_px, held, last, order,
                                      before, shares_row, t);
}

#if defined(ALPHAFACTORY_X86_DISPATCH)
template <bool kSamePrices, bool kNext>
__attribute__((target("avx2"))) void flat_terms_wide(std::int64_t n, double value,
                                                     const double* __restrict px,
                const double* __restrict target, const double* __restrict close,
                const double* __restrict next_px, double* __restrict held,
                double* __restrict last, double* __restrict order, double* __restrict before,
                double* __restrict shares_row, FlatTerms& __restrict t) {
  flat_terms_body<kSamePrices, kNext>(n, value, px, target, close, next_px, held, last, order,
                                      before, shares_row, t);
}
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

bool has_avx2() {
#if defined(ALPHAFACTORY_X86_DISPATCH)
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

template <bool kSamePrices, bool kNext>
void flat_terms_on(bool wide, std::int64_t n, double value, const double* __restrict px,
                const double* __restrict target, const double* __restrict close,
                const double* __restrict next_px, double* __restrict held,
                double* __restrict last, double* __restrict order, double* __restrict before,
                double* __restrict shares_row, FlatTerms& __restrict t) {
#if defined(ALPHAFACTORY_X86_DISPATCH)
  if (wide) {
    flat_terms_wide<kSamePrices, kNext>(n, value, px, target, close, next_px, held, last, order,
                                        before, shares_row, t);
    return;
  }
#else
  (void)wide;
#endif
  flat_terms<kSamePrices, kNext>(n, value, px, target, close, next_px, held, last, order, before,
                                 shares_row, t);
}

// The sums of one block's terms, in asset order, into the bar's running sums.
template <bool kSamePrices, bool kBorrow, bool kNext>
void flat_sums(std::int64_t n, const double* px, const double* close, const double* order,
               std::int64_t base, const FlatTerms& t, double& weight_sum, double& trade_value,
               double& notional_sum, double& gross_idle, BarMarks& m, Largest& largest) {
  for (std::int64_t i = 0; i < n; ++i) {
    // The largest order, for ration_orders: off the sums' critical path, nearly free here.
    largest.see(base + i, order[i], t.trade[i]);
    m.prices.see(px[i]);
    if constexpr (!kSamePrices) m.prices.see(close[i]);
    weight_sum += t.abs_weight[i];
    trade_value += t.trade[i];
    notional_sum += t.notional[i];
    m.holdings += t.close[i];
    if constexpr (kBorrow) m.short_value -= std::min(t.close[i], 0.0);
    if constexpr (kNext) m.next_holdings += t.next[i];
  }
  if (t.unpriced) {
    for (std::int64_t i = 0; i < n; ++i) gross_idle += t.idle[i];  // its own sum: same order
  }
}

// The row-major window of column-major inputs the bar loop reads (see kWindowCells): every
// per-cell input the run reads, rows [row0, row0 + rows) copied bar-major into scratch.
class InputWindow {
 public:
  InputWindow(const BacktestInputs& in, bool capped)
      : in_(in),
        bars_(std::max<std::int64_t>(8, std::min<std::int64_t>(256, kWindowCells / in.n_assets))) {
    add(in.exec_price, &view_.exec_price);
    if (in.mark_price != in.exec_price) add(in.mark_price, &view_.mark_price);
    add(in.targets, &view_.targets);
    if (capped) add(in.volume, &view_.volume);
    CostParameters& costs = view_.costs;
    if (in.costs.half_spread.per_cell) add(in.costs.half_spread.values, &costs.half_spread.values);
    if (in.costs.impact_coef.per_cell) add(in.costs.impact_coef.values, &costs.impact_coef.values);
    scratch_.resize(sources_.size() * static_cast<std::size_t>((bars_ + 1 + in.lag) * in.n_assets));
  }

  std::int64_t bars() const { return bars_; }

  // Point the view at rows [from - lag, to + 1) (clipped to the run) of every windowed input:
  // bar s in [from, to) reads decision row s - lag and the execution prices of bar s + 1.
  void fill(std::int64_t from, std::int64_t to, Windowed& at) {
    const std::int64_t T = in_.n_bars, N = in_.n_assets;
    const std::int64_t row0 = std::max<std::int64_t>(0, from - in_.lag);
    const std::int64_t rows = std::min(T, to + 1) - row0;
    const std::int64_t stride = bars_ + 1 + in_.lag;
    for (std::size_t k = 0; k < sources_.size(); ++k) {
      double* const tile = scratch_.data() + static_cast<std::int64_t>(k) * stride * N;
      // Four columns at a time: four read streams, one run of four values written per row.
      std::int64_t i = 0;
      for (; i + 4 <= N; i += 4) {
        const double* const c0 = sources_[k] + i * T + row0;
        const double* const c1 = c0 + T;
        const double* const c2 = c1 + T;
        const double* const c3 = c2 + T;
        for (std::int64_t b = rows; b < rows + bars_ && row0 + b < T; b += 8) {
          prefetch(c0 + b);  // the next window's lines of these columns
          prefetch(c1 + b);
          prefetch(c2 + b);
          prefetch(c3 + b);
        }
        double* row = tile + i;
        for (std::int64_t b = 0; b < rows; ++b, row += N) {
          row[0] = c0[b];
          row[1] = c1[b];
          row[2] = c2[b];
          row[3] = c3[b];
        }
      }
      for (; i < N; ++i) {
        const double* const column = sources_[k] + i * T + row0;
        for (std::int64_t b = 0; b < rows; ++b) tile[b * N + i] = column[b];
      }
      *targets_[k] = tile;
    }
    at.row0 = row0;
  }

  BacktestInputs& view() { return view_; }

 private:
  void add(const double* source, const double** target) {
    sources_.push_back(source);
    targets_.push_back(target);
  }

  const BacktestInputs& in_;
  BacktestInputs view_ = in_;
  std::int64_t bars_;
  std::vector<const double*> sources_;
  std::vector<const double**> targets_;
  std::vector<double> scratch_;
};

// Per bar, one pass over the assets: size every order from the value before trading, book it in
// full, and mark the asset. When the orders together break the leverage limit (rare below full
// gross), ration_orders takes back what the limit does not execute.
// kSamePrices: execution and mark prices are one array (execution at the close). kBorrow: shorts
// pay borrow (else their value is not summed: one register fewer in the fast path).
template <class Layout, bool kSamePrices, bool kBorrow>
void run(const BacktestInputs& inputs, const BacktestOutputs& out) {
  const std::int64_t T = inputs.n_bars;
  const std::int64_t N = inputs.n_assets;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const bool capped = inputs.participation_cap > 0.0 && inputs.volume != nullptr;
  // Column-major inputs are read through a window (its view: the inputs with the windowed
  // arrays pointing into it); row-major inputs in place.
  std::optional<InputWindow> window;
  BacktestInputs direct = inputs;
  if constexpr (Layout::kWindowed) window.emplace(inputs, capped);
  const BacktestInputs& in = window ? window->view() : direct;
  Layout at{0, N};
  std::int64_t window_end = Layout::kWindowed ? 0 : T;
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
  FlatTerms terms;
  const bool wide = has_avx2();
  double* const held_now = shares.data();
  double* const order_of = order.data();
  double* const before_of = before.data();
  std::int64_t n_pending = 0;
  double cash = in.initial_cash;
  double value = cash;  // portfolio value at this bar's execution prices, before trading
  double* ledger = out.ledger;

  for (std::int64_t s = 0; s < T; ++s) {
    if constexpr (Layout::kWindowed) {
      if (s == window_end) {
        window_end = std::min(T, s + window->bars());
        window->fill(s, window_end, at);
      }
    }
    const double* const exec_price = in.exec_price;
    const double* const mark_price = in.mark_price;
    const double* const targets = in.targets;
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
    Largest largest;  // found by the fast path's sums
    double* const shares_row = out.shares + s * N;

    if (decision && flat) {
      // Fast path for the common case (a decision row, a flat cost per notional, no per-order
      // state): the same arithmetic with the spread summed once per bar.
      const double* const px = exec_price + at(s, 0);
      const double* const target = targets + at(r, 0);
      const double* const close = mark_price + at(s, 0);
      const double* const next_px = has_next ? exec_price + at(s + 1, 0) : px;
      // One block in the two passes; kNext (whether a next bar exists) as a compile-time flag.
      const auto block = [&](auto next, std::int64_t b) {
        constexpr bool kNext = decltype(next)::value;
        const std::int64_t n = std::min(kFlatBlock, N - b);
        flat_terms_on<kSamePrices, kNext>(wide, n, value, px + b, target + b, close + b,
                                          next_px + b, held_now + b, last.data() + b,
                                          order_of + b, before_of + b, shares_row + b, terms);
        flat_sums<kSamePrices, kBorrow, kNext>(n, px + b, close + b, order_of + b, b, terms,
                                               weight_sum, trade_value, notional_sum, gross_now,
                                               m, largest);
      };
      for (std::int64_t b = 0; b < N; b += kFlatBlock) {
        if (has_next) {
          block(std::true_type{}, b);
        } else {
          block(std::false_type{}, b);
        }
      }
      largest.known = true;
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
        mark_asset<Layout, kSamePrices, kBorrow>(exec_price, mark_price, at, s, i, px, held,
                                                 has_next, last[i], m);
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
                      shares_row, booked, marks, largest, rising);
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
    if (same) {
      borrow ? run<Windowed, true, true>(in, out) : run<Windowed, true, false>(in, out);
    } else {
      borrow ? run<Windowed, false, true>(in, out) : run<Windowed, false, false>(in, out);
    }
  } else {
    if (same) {
      borrow ? run<RowMajor, true, true>(in, out) : run<RowMajor, true, false>(in, out);
    } else {
      borrow ? run<RowMajor, false, true>(in, out) : run<RowMajor, false, false>(in, out);
    }
  }
}

}  // namespace alphafactory::backtest
