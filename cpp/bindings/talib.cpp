// Binding of the TA-Lib panel driver: numpy panels in, a preallocated output block written in
// place, GIL released while TA-Lib runs.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "alphafactory/talib_panel.hpp"
#include "bindings.hpp"

namespace py = pybind11;

namespace alphafactory::bindings {
namespace {

using talib::Api;
using talib::PanelFunction;
using talib::PanelSeries;

// A float64 [T, N] array as a strided series (the facade hands over float64 2-d arrays).
PanelSeries panel_series(const py::array& a, py::ssize_t n_time, py::ssize_t n_symbols) {
  if (!py::isinstance<py::array_t<double>>(a) || a.ndim() != 2 || a.shape(0) != n_time ||
      a.shape(1) != n_symbols || a.strides(0) % 8 != 0 || a.strides(1) % 8 != 0) {
    throw py::value_error("talib panel inputs must be float64 [T, N] arrays of one shape");
  }
  return {static_cast<const double*>(a.data()), a.strides(0) / 8, a.strides(1) / 8};
}

void run(const PanelFunction& f, const std::vector<py::array>& inputs,
         const std::vector<double>& opt_values, std::vector<py::array_t<double>> out) {
  if (inputs.empty()) throw py::value_error("talib panel run needs its input series");
  const py::ssize_t n_time = inputs[0].ndim() == 2 ? inputs[0].shape(0) : -1;
  const py::ssize_t n_symbols = inputs[0].ndim() == 2 ? inputs[0].shape(1) : -1;
  std::vector<PanelSeries> series;
  for (const auto& a : inputs) series.push_back(panel_series(a, n_time, n_symbols));
  // Guard against memory corruption from a wrongly sized output (a programming error).
  std::vector<double*> dst;
  for (auto& o : out) {
    if (o.ndim() != 2 || o.shape(0) != n_symbols || o.shape(1) != n_time ||
        !(o.flags() & py::array::c_style) || !o.writeable()) {
      throw py::value_error("talib panel outputs must be writable C-contiguous float64 [N, T]");
    }
    dst.push_back(o.mutable_data());
  }
  py::gil_scoped_release release;
  f.run(series, n_time, n_symbols, opt_values, dst);
}

// One [T, b] float64 block into columns start..start+b of a [T, N] float32/float64 output.
template <typename OutT>
void write_block(const py::array& src, py::array& out, py::ssize_t start) {
  const py::ssize_t in_size = static_cast<py::ssize_t>(sizeof(OutT));
  if (src.ndim() != 2 || out.ndim() != 2 || src.shape(0) != out.shape(0) || start < 0 ||
      start + src.shape(1) > out.shape(1) || src.strides(0) % 8 != 0 ||
      src.strides(1) % 8 != 0 || out.strides(1) != in_size || out.strides(0) % in_size != 0 ||
      !out.writeable()) {
    throw py::value_error("write_columns: a float64 [T, b] block and a writable [T, N] output "
                          "with contiguous rows, b columns from start inside it");
  }
  const auto* s = static_cast<const double*>(src.data());
  auto* o = static_cast<OutT*>(out.mutable_data()) + start;
  py::gil_scoped_release release;
  talib::write_columns(s, src.strides(0) / 8, src.strides(1) / 8, src.shape(0), src.shape(1),
                       o, out.strides(0) / in_size);
}

void write_columns(const py::array& src, py::array out, py::ssize_t start) {
  if (!py::isinstance<py::array_t<double>>(src)) {
    throw py::value_error("write_columns: the block must be float64");
  }
  if (py::isinstance<py::array_t<float>>(out)) {
    write_block<float>(src, out, start);
  } else if (py::isinstance<py::array_t<double>>(out)) {
    write_block<double>(src, out, start);
  } else {
    throw py::value_error("write_columns: the output must be float32 or float64");
  }
}

void cumsum_columns(const py::array& x, py::array out) {
  if (!py::isinstance<py::array_t<double>>(x) || !py::isinstance<py::array_t<double>>(out) ||
      x.ndim() != 2 || out.ndim() != 2 || x.shape(0) != out.shape(0) ||
      x.shape(1) != out.shape(1) || x.strides(0) % 8 != 0 || x.strides(1) % 8 != 0 ||
      out.strides(0) % 8 != 0 || out.strides(1) % 8 != 0 || !out.writeable()) {
    throw py::value_error("cumsum_columns: float64 [T, N] input and writable output alike");
  }
  const auto* src = static_cast<const double*>(x.data());
  auto* dst = static_cast<double*>(out.mutable_data());
  py::gil_scoped_release release;
  talib::cumsum_columns(src, x.strides(0) / 8, x.strides(1) / 8, x.shape(0), x.shape(1), dst,
                        out.strides(0) / 8, out.strides(1) / 8);
}

}  // namespace

void bind_talib(py::module_& m) {
  py::class_<Api, std::shared_ptr<Api>>(m, "TalibApi",
                                        "TA-Lib's abstract C interface, resolved from a loaded "
                                        "library (the path of talib's extension module).")
      .def(py::init([](const std::string& library) {
             return std::const_pointer_cast<Api>(talib::load_api(library));
           }),
           py::arg("library"));

  py::class_<PanelFunction>(m, "TalibFunction",
                            "One TA-Lib function applied per symbol column of [T, N] panels.")
      .def(py::init([](const std::shared_ptr<Api>& api, const std::string& name,
                       std::vector<int> inputs, std::vector<bool> opt_is_integer,
                       std::vector<bool> output_is_integer) {
             return PanelFunction(api, name,
                                  {std::move(inputs), std::move(opt_is_integer),
                                   std::move(output_is_integer)});
           }),
           py::arg("api"), py::arg("name"), py::arg("inputs"), py::arg("opt_is_integer"),
           py::arg("output_is_integer"),
           "inputs: per TA-Lib input, the price-field bits of a price input (open 1, high 2, "
           "low 4, close 8, volume 16, open interest 32) or 0 for a real series.")
      .def_property_readonly("name", &PanelFunction::name)
      .def_property_readonly("n_series", &PanelFunction::n_series)
      .def_property_readonly("n_outputs", &PanelFunction::n_outputs)
      .def("lookback", &PanelFunction::lookback, py::arg("opt_values"))
      .def("run", &run, py::arg("inputs"), py::arg("opt_values"), py::arg("out").noconvert(),
           "Apply to [T, N] float64 inputs (any strides); writes one [N, T] array per output.");

  m.def("write_columns", &write_columns, py::arg("src"), py::arg("out").noconvert(),
        py::arg("start"),
        "Write a float64 [T, b] block (any strides) into columns start..start+b of a [T, N] "
        "float32 or float64 output with contiguous rows, converting as astype does.");
  m.def("cumsum_columns", &cumsum_columns, py::arg("x"), py::arg("out").noconvert(),
        "np.cumsum(x, axis=0, out=out) for float64 [T, N] arrays (any strides), bit-identical, "
        "several columns at a time. out must not overlap x unless it is x.");
}

}  // namespace alphafactory::bindings
