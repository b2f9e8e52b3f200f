// pybind11 bindings of the CSV simulator, LOBSTER replay and Poisson order flow.
#include <pybind11/stl.h>

#include "alphafactory/csv_sim.hpp"
#include "records_bindings.hpp"

namespace py = pybind11;

namespace alphafactory::bindings {

void bind_extras(py::module_& m) {
  m.def(
      "simulate_csv",
      [](const std::string& orders, const std::string& trades, const std::string& events,
         const std::string& tick_size, bool strict, int stp, bool emit_accepted) {
        SimOptions o;
        o.tick_size = tick_size;
        o.strict = strict;
        o.stp = static_cast<StpMode>(stp);
        o.emit_accepted = emit_accepted;
        SimResult r;
        {
          py::gil_scoped_release release;
          r = simulate_csv(orders, trades, events, o);
        }
        py::dict d;
        d["rows"] = r.rows;
        d["orders"] = r.orders;
        d["trades"] = r.trades;
        d["events"] = r.events;
        d["errors"] = r.errors;
        d["aborted"] = r.aborted;
        return d;
      },
      py::arg("orders"), py::arg("trades"), py::arg("events"), py::arg("tick_size"),
      py::arg("strict"), py::arg("stp"), py::arg("emit_accepted"));
}

}  // namespace alphafactory::bindings
