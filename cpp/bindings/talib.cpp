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
}

}  // namespace alphafactory::bindings
