#include "alphafactory/talib_panel.hpp"

#include "alphafactory/sidecar.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace alphafactory::talib {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr PriceFlag kPriceFields[] = {kOpen, kHigh, kLow, kClose, kVolume, kOpenInterest};
// A contiguous column at least this long is screened for NaN on the sidecar thread while TA-Lib
// runs on it optimistically (a missing value is rare; then the column is computed again).
constexpr std::int64_t kSidecarScanRows = 1 << 17;

void check(RetCode code, const std::string& what) {
  if (code != 0) throw std::runtime_error(what + " failed: " + ret_code_name(code));
}

bool any_nan_exact(const double* x, std::int64_t n) {
  return std::any_of(x, x + n, [](double v) { return std::isnan(v); });
}

// Whether any series holds a NaN in its first n values. x * 0.0 is NaN exactly when x is NaN or
// infinite, and eight independent sums of it vectorize without reassociating floating-point
// math; a block whose sum is NaN is then checked value by value (it may hold only an infinity).
// The series are read block by block together, in the order TA-Lib reads them, so a scan that
// runs beside TA-Lib pulls each cache line from memory once for both.
bool any_nan(const std::vector<const double*>& series, std::int64_t n) {
  constexpr std::int64_t kBlock = 2048;
  constexpr int kLanes = 8;
  std::int64_t start = 0;
  for (; start + kBlock <= n; start += kBlock) {
    for (const double* x : series) {
      double lane[kLanes] = {};
      for (std::int64_t i = start; i < start + kBlock; i += kLanes) {
        for (int k = 0; k < kLanes; ++k) lane[k] += x[i + k] * 0.0;
      }
      double sum = 0.0;
      for (const double v : lane) sum += v;
      if (std::isnan(sum) && any_nan_exact(x + start, kBlock)) return true;
    }
  }
  for (const double* x : series) {
    if (any_nan_exact(x + start, n - start)) return true;
  }
  return false;
}

// Copy column j of a strided series into dst; returns whether it holds a NaN.
bool gather(const PanelSeries& s, std::int64_t j, std::int64_t n_time, double* dst) {
  const double* src = s.data + j * s.symbol_stride;
  bool bad = false;
  for (std::int64_t t = 0; t < n_time; ++t) {
    const double v = src[t * s.time_stride];
    dst[t] = v;
    bad |= std::isnan(v);
  }
  return bad;
}

void fill_nan(double* x, std::int64_t n) { std::fill(x, x + n, kNaN); }

class Holder {
 public:
  Holder(const Api& api, const FuncHandle* handle) : api_(api) {
    check(api_.param_holder_alloc(handle, &params_), "TA_ParamHolderAlloc");
  }
  ~Holder() { api_.param_holder_free(params_); }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;
  ParamHolder* get() const { return params_; }

 private:
  const Api& api_;
  ParamHolder* params_ = nullptr;
};

}  // namespace

// The per-call state of PanelFunction::run: TA-Lib's parameter holder, the lookback, and
// scratch series reused from column to column.
class ColumnRunner {
 public:
  ColumnRunner(const PanelFunction& f, const std::vector<double>& opt_values,
               std::int64_t n_time)
      : f_(f), api_(*f.api_), holder_(*f.api_, f.handle_), n_time_(n_time) {
    const auto& is_integer = f_.signature_.opt_is_integer;
    if (opt_values.size() != is_integer.size()) {
      throw std::invalid_argument(f_.name_ + " takes " + std::to_string(is_integer.size()) +
                                  " parameters, got " + std::to_string(opt_values.size()));
    }
    for (unsigned int i = 0; i < is_integer.size(); ++i) {
      const RetCode code =
          is_integer[i]
              ? api_.set_opt_input_integer(holder_.get(), i, static_cast<int>(opt_values[i]))
              : api_.set_opt_input_real(holder_.get(), i, opt_values[i]);
      check(code, f_.name_ + ": optional input " + std::to_string(i));
    }
    check(api_.get_lookback(holder_.get(), &lookback_), f_.name_ + ": TA_GetLookback");
    if (lookback_ < 0) {
      throw std::invalid_argument(f_.name_ + ": TA-Lib rejects these parameter values");
    }
    const std::size_t n_series = f_.n_series_;
    const std::size_t n_out = f_.n_outputs();
    column_.resize(n_series);
    gathered_.assign(n_series, std::vector<double>());
    packed_.assign(n_series, std::vector<double>());
    packed_out_.assign(n_out, std::vector<double>());
    int_out_.assign(n_out, std::vector<int>());
    packed_ptr_.resize(n_series);
    out_ptr_.resize(n_out);
  }

  int lookback() const { return lookback_; }

  // Column j of the panel into dest[k] (n_time values per output).
  void run(const std::vector<PanelSeries>& inputs, std::int64_t j,
           const std::vector<double*>& dest) {
    bool has_nan = false;
    bool contiguous = true;
    for (std::size_t s = 0; s < inputs.size(); ++s) {
      if (inputs[s].time_stride == 1) {
        column_[s] = inputs[s].data + j * inputs[s].symbol_stride;
      } else {
        contiguous = false;
        gathered_[s].resize(n_time_);
        has_nan |= gather(inputs[s], j, n_time_, gathered_[s].data());
        column_[s] = gathered_[s].data();
      }
    }
    if (contiguous && n_time_ >= kSidecarScanRows) {
      // Optimistic: TA-Lib runs on the whole column while the sidecar screens it for NaN.
      bool screened_nan = false;
      SidecarTask screen(Sidecar::shared(),
                         [this, &screened_nan] { screened_nan = any_nan(column_, n_time_); });
      if (screen.started()) {
        run_span(column_.data(), n_time_, dest.data());
        screen.join();
        if (!screened_nan) return;
        run_with_gaps(dest);
        return;
      }
    }
    if (!has_nan) {  // gathered series were screened while copied; screen the others
      in_place_.clear();
      for (std::size_t s = 0; s < inputs.size(); ++s) {
        if (inputs[s].time_stride == 1) in_place_.push_back(column_[s]);
      }
      has_nan = any_nan(in_place_, n_time_);
    }
    if (!has_nan) {
      run_span(column_.data(), n_time_, dest.data());
    } else {
      run_with_gaps(dest);
    }
  }

 private:
  bool valid(std::int64_t t) const {
    for (const double* x : column_) {
      if (std::isnan(x[t])) return false;
    }
    return true;
  }

  // A column with NaN rows: TA-Lib sees only the rows where every input is present.
  void run_with_gaps(const std::vector<double*>& dest) {
    std::int64_t lo = 0;
    while (lo < n_time_ && !valid(lo)) ++lo;
    std::int64_t hi = n_time_;
    while (hi > lo && !valid(hi - 1)) --hi;
    for (double* d : dest) fill_nan(d, n_time_);
    if (hi <= lo) return;  // a symbol with no bar
    std::vector<std::int64_t>& rows = rows_;
    rows.clear();
    for (std::int64_t t = lo; t < hi; ++t) {
      if (valid(t)) rows.push_back(t);
    }
    const auto count = static_cast<std::int64_t>(rows.size());
    if (count == hi - lo) {  // one block of bars: TA-Lib reads it in place
      for (std::size_t s = 0; s < column_.size(); ++s) packed_ptr_[s] = column_[s] + lo;
      for (std::size_t k = 0; k < dest.size(); ++k) out_ptr_[k] = dest[k] + lo;
      run_span(packed_ptr_.data(), count, out_ptr_.data());
      return;
    }
    for (std::size_t s = 0; s < column_.size(); ++s) {
      packed_[s].resize(count);
      for (std::int64_t i = 0; i < count; ++i) packed_[s][i] = column_[s][rows[i]];
      packed_ptr_[s] = packed_[s].data();
    }
    for (std::size_t k = 0; k < dest.size(); ++k) {
      packed_out_[k].resize(count);
      out_ptr_[k] = packed_out_[k].data();
    }
    run_span(packed_ptr_.data(), count, out_ptr_.data());
    for (std::size_t k = 0; k < dest.size(); ++k) {
      for (std::int64_t i = 0; i < count; ++i) dest[k][rows[i]] = packed_out_[k][i];
    }
  }

  // TA-Lib on `len` complete rows: series[s] are the inputs, dest[k] the outputs (len each).
  void run_span(const double* const* series, std::int64_t len, double* const* dest) {
    const std::size_t n_out = f_.n_outputs();
    const auto& output_is_integer = f_.signature_.output_is_integer;
    if (len <= lookback_) {
      for (std::size_t k = 0; k < n_out; ++k) fill_nan(dest[k], len);
      return;
    }
    ParamHolder* params = holder_.get();
    const double* const* next = series;
    for (unsigned int i = 0; i < f_.signature_.inputs.size(); ++i) {
      const int flags = f_.signature_.inputs[i];
      if (flags == 0) {
        check(api_.set_input_real(params, i, *next++), f_.name_ + ": input");
        continue;
      }
      const double* field[6] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
      for (int p = 0; p < 6; ++p) {
        if (flags & kPriceFields[p]) field[p] = *next++;
      }
      check(api_.set_input_price(params, i, field[0], field[1], field[2], field[3], field[4],
                                 field[5]),
            f_.name_ + ": price input");
    }
    for (unsigned int k = 0; k < n_out; ++k) {
      if (output_is_integer[k]) {
        int_out_[k].resize(len);
        check(api_.set_output_integer(params, k, int_out_[k].data()), f_.name_ + ": output");
      } else {
        check(api_.set_output_real(params, k, dest[k] + lookback_), f_.name_ + ": output");
      }
    }
    int begin = 0;
    int count = 0;
    check(api_.call_func(params, 0, static_cast<int>(len - 1), &begin, &count), f_.name_);
    for (std::size_t k = 0; k < n_out; ++k) {
      double* d = dest[k];
      if (output_is_integer[k]) {
        std::copy(int_out_[k].begin(), int_out_[k].begin() + count, d + begin);
      } else if (begin != lookback_) {
        // TA-Lib placed its first value at `begin`, not at the lookback it announced.
        std::memmove(d + begin, d + lookback_, sizeof(double) * static_cast<std::size_t>(count));
      }
      fill_nan(d, begin);
      fill_nan(d + begin + count, len - begin - count);
    }
  }

  const PanelFunction& f_;
  const Api& api_;
  Holder holder_;
  std::int64_t n_time_;
  int lookback_ = 0;
  std::vector<const double*> column_;
  std::vector<const double*> in_place_;
  std::vector<std::vector<double>> gathered_;
  std::vector<std::vector<double>> packed_;
  std::vector<std::vector<double>> packed_out_;
  std::vector<std::vector<int>> int_out_;
  std::vector<const double*> packed_ptr_;
  std::vector<double*> out_ptr_;
  std::vector<std::int64_t> rows_;
};

PanelFunction::PanelFunction(std::shared_ptr<const Api> api, const std::string& name,
                             Signature signature)
    : api_(std::move(api)), name_(name), signature_(std::move(signature)) {
  if (api_->get_func_handle(name.c_str(), &handle_) != 0 || handle_ == nullptr) {
    throw std::invalid_argument("TA-Lib has no function named '" + name + "'");
  }
  for (const int flags : signature_.inputs) {
    if (flags == 0) ++n_series_;
    for (const PriceFlag field : kPriceFields) n_series_ += (flags & field) ? 1 : 0;
  }
}

int PanelFunction::lookback(const std::vector<double>& opt_values) const {
  try {
    return ColumnRunner(*this, opt_values, 0).lookback();
  } catch (const std::invalid_argument&) {
    return -1;
  }
}

void PanelFunction::run(const std::vector<PanelSeries>& inputs, std::int64_t n_time,
                        std::int64_t n_symbols, const std::vector<double>& opt_values,
                        const std::vector<double*>& out) const {
  if (inputs.size() != n_series_) {
    throw std::invalid_argument(name_ + " takes " + std::to_string(n_series_) +
                                " input series, got " + std::to_string(inputs.size()));
  }
  if (n_time > std::numeric_limits<int>::max()) {
    throw std::invalid_argument(name_ + ": TA-Lib indexes bars with int; " +
                                std::to_string(n_time) + " bars is too many");
  }
  if (out.size() != n_outputs()) {
    throw std::invalid_argument(name_ + " has " + std::to_string(n_outputs()) +
                                " outputs, got " + std::to_string(out.size()) + " buffers");
  }
  ColumnRunner runner(*this, opt_values, n_time);
  std::vector<double*> dest(n_outputs());
  for (std::int64_t j = 0; j < n_symbols; ++j) {
    for (std::size_t k = 0; k < dest.size(); ++k) {
      dest[k] = out[k] + j * n_time;
    }
    runner.run(inputs, j, dest);
  }
}

template <typename OutT>
void write_columns(const double* src, std::int64_t time_stride, std::int64_t col_stride,
                   std::int64_t n_time, std::int64_t n_cols, OutT* out,
                   std::int64_t out_row_stride) {
  // Row by row: each destination row is one contiguous run, written in order; a source line
  // holds 8 rows of a column and is reused over the next 8 rows, while the n_cols lines in use
  // (a few KB for a block of symbols) stay in L1.
  for (std::int64_t t = 0; t < n_time; ++t) {
    const double* s = src + t * time_stride;
    OutT* o = out + t * out_row_stride;
    for (std::int64_t j = 0; j < n_cols; ++j) o[j] = static_cast<OutT>(s[j * col_stride]);
  }
}

template void write_columns<float>(const double*, std::int64_t, std::int64_t, std::int64_t,
                                   std::int64_t, float*, std::int64_t);
template void write_columns<double>(const double*, std::int64_t, std::int64_t, std::int64_t,
                                    std::int64_t, double*, std::int64_t);

void cumsum_columns(const double* x, std::int64_t t_stride, std::int64_t c_stride,
                    std::int64_t n_time, std::int64_t n_cols, double* out,
                    std::int64_t out_t_stride, std::int64_t out_c_stride) {
  constexpr std::int64_t kChains = 8;
  if (n_time <= 0) return;
  for (std::int64_t j0 = 0; j0 < n_cols; j0 += kChains) {
    const std::int64_t k = std::min(kChains, n_cols - j0);
    double acc[kChains];
    const double* xs[kChains];
    double* os[kChains];
    for (std::int64_t i = 0; i < k; ++i) {
      xs[i] = x + (j0 + i) * c_stride;
      os[i] = out + (j0 + i) * out_c_stride;
      acc[i] = xs[i][0];  // a copy, as numpy's (0.0 + -0.0 would lose the sign)
      os[i][0] = acc[i];
    }
    if (k == kChains) {
      for (std::int64_t t = 1; t < n_time; ++t) {
        for (std::int64_t i = 0; i < kChains; ++i) {
          acc[i] += xs[i][t * t_stride];
          os[i][t * out_t_stride] = acc[i];
        }
      }
    } else {
      for (std::int64_t t = 1; t < n_time; ++t) {
        for (std::int64_t i = 0; i < k; ++i) {
          acc[i] += xs[i][t * t_stride];
          os[i][t * out_t_stride] = acc[i];
        }
      }
    }
  }
}

}  // namespace alphafactory::talib
