#pragma once
// One TA-Lib function applied to every symbol column of a T x N panel, through TA-Lib's
// abstract interface: the compiled loop behind alphafactory.features.apply_talib.
//
// Per column, the rows where any input is NaN (before a symbol's first bar, after its last, a
// missing bar between) are left out of the series TA-Lib sees and are NaN in the output, so a
// recursive indicator continues across a missing bar and every value equals raw TA-Lib run on
// that symbol's own bars. The first `lookback` values of each series are NaN (integer outputs,
// candlestick patterns, included). Inputs are trusted (the Python facade validates them).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alphafactory/talib_api.hpp"

namespace alphafactory::talib {

// One input series of a panel: element (t, j) is data[t * time_stride + j * symbol_stride].
struct PanelSeries {
  const double* data = nullptr;
  std::int64_t time_stride = 1;
  std::int64_t symbol_stride = 0;
};

// What a TA-Lib function takes and returns, in its parameter order.
struct Signature {
  std::vector<int> inputs;              // per input: PriceFlag bits of a price input, 0 = real
  std::vector<bool> opt_is_integer;     // per optional input: integer (else real)
  std::vector<bool> output_is_integer;  // per output: integer (candlesticks...), else real
};

class PanelFunction {
 public:
  // Throws std::invalid_argument for a name TA-Lib does not know. A signature that does not
  // match the function makes run() throw (TA-Lib checks every input and output it is given).
  PanelFunction(std::shared_ptr<const Api> api, const std::string& name, Signature signature);

  const std::string& name() const { return name_; }
  // Input series in call order: one per real input, one per field of a price input.
  std::size_t n_series() const { return n_series_; }
  std::size_t n_outputs() const { return signature_.output_is_integer.size(); }

  // Bars consumed before the first output; -1 when TA-Lib rejects the parameters.
  int lookback(const std::vector<double>& opt_values) const;

  // Apply to a [n_time, n_symbols] panel. `inputs` holds n_series() series, `opt_values` one
  // value per optional input; `out` holds one [n_symbols, n_time] float64 block per output
  // (symbol-major: each symbol's output series is contiguous). Throws std::invalid_argument
  // for parameters TA-Lib rejects, std::runtime_error for any other TA-Lib failure.
  void run(const std::vector<PanelSeries>& inputs, std::int64_t n_time, std::int64_t n_symbols,
           const std::vector<double>& opt_values, const std::vector<double*>& out) const;

 private:
  std::shared_ptr<const Api> api_;
  const FuncHandle* handle_ = nullptr;
  std::string name_;
  Signature signature_;
  std::size_t n_series_ = 0;

  friend class ColumnRunner;
};

// The panel writer of build_features: copy a float64 [n_time, n_cols] block (element (t, j) at
// src[t * time_stride + j * col_stride], typically one column-major block of symbols) into
// columns of a row-major output whose rows are `out_row_stride` elements apart, converting to
// OutT (float or double, rounding as a C cast does, as numpy's astype does).
template <typename OutT>
void write_columns(const double* src, std::int64_t time_stride, std::int64_t col_stride,
                   std::int64_t n_time, std::int64_t n_cols, OutT* out,
                   std::int64_t out_row_stride);

// Running sums down each column of a float64 [n_time, n_cols] panel (element (t, j) at
// x[t * t_stride + j * c_stride], likewise for out): out[0] = x[0], out[t] = out[t-1] + x[t],
// the additions numpy's cumsum(axis=0) makes, in the same order, so the sums are bit-identical.
// Several columns advance together: one column's sum is a chain of dependent additions
// (latency-bound); eight independent chains keep the adder busy.
void cumsum_columns(const double* x, std::int64_t t_stride, std::int64_t c_stride,
                    std::int64_t n_time, std::int64_t n_cols, double* out,
                    std::int64_t out_t_stride, std::int64_t out_c_stride);

}  // namespace alphafactory::talib
