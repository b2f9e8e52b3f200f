// Binding of the target-weight backtest loop: arrays in, outputs written in place, GIL released.
#include <pybind11/numpy.h>

#include <string>

#include "alphafactory/backtest.hpp"
#include "bindings.hpp"

namespace py = pybind11;

namespace alphafactory::bindings {
namespace {

// Contiguous float64 arrays, row- or column-major as `column_major` says (checked in Python).
using Array = py::array_t<double>;

backtest::CellParameter cell_parameter(const Array& values, std::int64_t cells) {
  backtest::CellParameter p;
  if (values.size() > 0) {
    p.values = values.data();
    p.per_cell = values.size() == cells;
  }
  return p;
}

void run_backtest(const Array& exec_price, const Array& mark_price, const Array& targets,
                  std::int64_t lag, const Array& volume, double participation_cap,
                  bool carry_unfilled, const Array& half_spread, const Array& impact_coef,
                  double impact_exponent, double commission_per_share, double commission_bps,
                  double commission_min, double borrow_per_bar, double initial_cash,
                  bool whole_shares, double max_leverage, bool column_major, Array& shares_out,
                  Array& ledger_out) {
  backtest::BacktestInputs in;
  in.n_bars = exec_price.shape(0);
  in.n_assets = exec_price.shape(1);
  const std::int64_t cells = in.n_bars * in.n_assets;
  in.exec_price = exec_price.data();
  in.mark_price = mark_price.data();
  in.targets = targets.data();
  in.lag = lag;
  in.volume = volume.size() == cells ? volume.data() : nullptr;
  in.participation_cap = participation_cap;
  in.carry_unfilled = carry_unfilled;
  in.costs.half_spread = cell_parameter(half_spread, cells);
  in.costs.impact_coef = cell_parameter(impact_coef, cells);
  in.costs.impact_exponent = impact_exponent;
  in.costs.commission_per_share = commission_per_share;
  in.costs.commission_bps = commission_bps;
  in.costs.commission_min = commission_min;
  in.borrow_per_bar = borrow_per_bar;
  in.initial_cash = initial_cash;
  in.whole_shares = whole_shares;
  in.max_leverage = max_leverage;
  in.column_major = column_major;
  // Guard against memory corruption from a wrongly sized output (a programming error).
  if (exec_price.ndim() != 2 || shares_out.size() != cells ||
      ledger_out.size() != backtest::kLedgerRows * in.n_bars) {
    throw py::value_error("run_backtest: shares_out must hold T*N and ledger_out " +
                          std::to_string(backtest::kLedgerRows) + "*T float64 values");
  }
  backtest::BacktestOutputs out;
  out.shares = shares_out.mutable_data();
  out.ledger = ledger_out.mutable_data();
  py::gil_scoped_release release;
  backtest::run_backtest(in, out);
}

}  // namespace

void bind_backtest(py::module_& m) {
  m.def("run_backtest", &run_backtest, py::arg("exec_price"), py::arg("mark_price"),
        py::arg("targets"), py::arg("lag"), py::arg("volume"), py::arg("participation_cap"),
        py::arg("carry_unfilled"), py::arg("half_spread"), py::arg("impact_coef"),
        py::arg("impact_exponent"), py::arg("commission_per_share"), py::arg("commission_bps"),
        py::arg("commission_min"), py::arg("borrow_per_bar"), py::arg("initial_cash"),
        py::arg("whole_shares"), py::arg("max_leverage"), py::arg("column_major"),
        py::arg("shares_out").noconvert(), py::arg("ledger_out").noconvert(),
        "Target-weight backtest loop over [T, N] float64 arrays, all C- or all F-contiguous "
        "(column_major); writes shares_out "
        "[T, N] and ledger_out [BACKTEST_LEDGER_ROWS['rows'], T] (cash, equity, spread, impact, "
        "commission, borrow, traded notional, notional the leverage limit cut, min price, max "
        "price, sum of |weight| read). Inputs are trusted.");
  py::dict rows;
  rows["cash"] = static_cast<int>(backtest::kCash);
  rows["equity"] = static_cast<int>(backtest::kEquity);
  rows["spread"] = static_cast<int>(backtest::kSpreadCost);
  rows["impact"] = static_cast<int>(backtest::kImpactCost);
  rows["commission"] = static_cast<int>(backtest::kCommissionCost);
  rows["borrow"] = static_cast<int>(backtest::kBorrowCost);
  rows["traded_notional"] = static_cast<int>(backtest::kTradedNotional);
  rows["limited_notional"] = static_cast<int>(backtest::kLimitedNotional);
  rows["min_price"] = static_cast<int>(backtest::kMinPrice);
  rows["max_price"] = static_cast<int>(backtest::kMaxPrice);
  rows["abs_weight_sum"] = static_cast<int>(backtest::kAbsWeightSum);
  rows["rows"] = static_cast<int>(backtest::kLedgerRows);
  m.attr("BACKTEST_LEDGER_ROWS") = rows;
}

}  // namespace alphafactory::bindings
