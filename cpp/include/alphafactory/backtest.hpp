#pragma once
// Target-weight portfolio accounting over a T x N grid of bars: the compiled loop behind
// alphafactory.backtest.backtest(). Plain contiguous float64 arrays in and out, no validation
// (the Python facade validates), no Python headers.
//
// Convention, per bar s:
//   1. last[i] <- exec_price[s, i] where finite.
//   2. If row r = s - lag of `targets` is a decision (any finite value) or a capped order is
//      carried: V = cash + sum_i shares[i] * last[i] (value at the execution price, before
//      trading). For each symbol with a finite execution price, target shares = w * V / price
//      (a NaN weight in a decision row is 0; truncated toward zero with whole_shares), the order is
//      target - shares, capped at participation_cap * volume[s, i] (the capped weight is retried
//      next bar when carry_unfilled), and cash pays price * q plus its costs.
//   3. Leverage limit, at the execution prices: with equity E = cash + sum_i shares[i] * last[i]
//      and gross exposure G = sum_i |shares[i]| * last[i], no order may leave the slack
//      S = max_leverage * E - G negative (or, when prices already pushed it below 0, lower it).
//      Orders that do not lower S (sells of longs, covers of shorts) execute first, in full; then
//      the others in ascending order value q * price (vectorbt's call_seq="auto"), each shrunk
//      to the largest size the slack allows (whole shares rounded down; 0 if none). With
//      max_leverage = 1 cash after costs is never negative. When every order fits, the order
//      of execution does not matter and none is sorted.
//   4. last[i] <- mark_price[s, i] where finite; shorts pay borrow_per_bar * |shares| * last.
//   5. equity[s] = cash + sum_i shares[i] * last[i].
//   Bankruptcy: when V <= 0 before trading at bar s (at its execution prices) or equity[s] <= 0
//   at its close, every position is closed (shares 0), cash and equity are 0 from bar s on, and
//   nothing trades again (the shortfall below 0 is the lender's: there is no negative equity).
//   Those bars' ledger rows of min/max price and |weight| are left empty (+inf, -inf, 0).
// Costs of an order of q shares at price p (notional n = |q| p):
//   spread     = n * half_spread[s, i]
//   impact     = n * impact_coef[s, i] * |q| ^ impact_exponent
//   commission = max(commission_min, commission_per_share * |q| + commission_bps * 1e-4 * n)
#include <cstdint>

namespace alphafactory::backtest {

// A per-cell parameter: an array of n_bars * n_assets values, or one value for every cell.
struct CellParameter {
  const double* values = nullptr;  // nullptr means 0 everywhere
  bool per_cell = false;

  double at(std::int64_t cell) const {
    return values == nullptr ? 0.0 : values[per_cell ? cell : 0];
  }
};

struct CostParameters {
  CellParameter half_spread;     // fraction of notional
  CellParameter impact_coef;     // fraction of notional per share^impact_exponent
  double impact_exponent = 1.0;  // 1 = linear, 0.5 = square root
  double commission_per_share = 0.0;
  double commission_bps = 0.0;
  double commission_min = 0.0;   // charged per order with q != 0
};

struct BacktestInputs {
  std::int64_t n_bars = 0;
  std::int64_t n_assets = 0;
  const double* exec_price = nullptr;  // [n_bars * n_assets], NaN = not tradable
  const double* mark_price = nullptr;  // [n_bars * n_assets], NaN = keep last price
  const double* targets = nullptr;     // [n_bars * n_assets], all-NaN row = no decision
  std::int64_t lag = 0;                // decision row r is executed at bar r + lag
  const double* volume = nullptr;      // [n_bars * n_assets], read when participation_cap > 0
  double participation_cap = 0.0;      // <= 0 disables the cap
  bool carry_unfilled = true;
  CostParameters costs;
  double borrow_per_bar = 0.0;         // fraction of short market value charged per bar
  double initial_cash = 0.0;
  bool whole_shares = false;
  double max_leverage = 1.0;           // gross exposure / equity allowed to orders (> 0)
  // Layout of every [n_bars * n_assets] input array: row-major (cell (s, i) at
  // s * n_assets + i) or column-major (at i * n_bars + s, a pandas frame's natural layout, read
  // without a copy). The shares output is always row-major.
  bool column_major = false;
};

// Ledger rows of the [kLedgerRows * n_bars] output array.
enum LedgerRow : std::int64_t {
  kCash = 0,
  kEquity = 1,
  kSpreadCost = 2,
  kImpactCost = 3,
  kCommissionCost = 4,
  kBorrowCost = 5,
  kTradedNotional = 6,
  kLimitedNotional = 7,  // notional of the order parts the leverage limit did not execute
  // What the loop read, for the facade to reject bad input after the fact without extra passes:
  kMinPrice = 8,        // smallest non-NaN execution or mark price of bar s (+inf if none)
  kMaxPrice = 9,        // largest non-NaN execution or mark price of bar s (-inf if none)
  kAbsWeightSum = 10,   // sum of |weight| read at bar s (0 if none; infinite if one is)
  kLedgerRows = 11,
};

struct BacktestOutputs {
  double* shares = nullptr;  // [n_bars * n_assets] row-major: holdings after bar s
  double* ledger = nullptr;  // [kLedgerRows * n_bars]: per-bar cash, equity, costs, notional
};

// Run the loop; writes every cell of the outputs.
void run_backtest(const BacktestInputs& in, const BacktestOutputs& out);

}  // namespace alphafactory::backtest
