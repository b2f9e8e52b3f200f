// pybind11 bindings of the CSV simulator, LOBSTER replay and Poisson order flow.
#include <pybind11/stl.h>

#include "alphafactory/csv_sim.hpp"
#include "alphafactory/lobster.hpp"
#include "alphafactory/order_flow.hpp"
#include "alphafactory/workload.hpp"
#include "records_bindings.hpp"

namespace py = pybind11;

namespace alphafactory::bindings {

void bind_extras(py::module_& m) {
  m.def(
      "simulate_csv",
      [](const std::string& orders, const std::string& trades, const std::string& events,
         const std::string& tick_size, bool strict, int stp, bool emit_accepted,
         bool overwrite) {
        SimOptions o;
        o.overwrite = overwrite;
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
      py::arg("strict"), py::arg("stp"), py::arg("emit_accepted"), py::arg("overwrite") = false);

  m.def(
      "replay_lobster",
      [](py::array_t<int64_t, py::array::c_style> type, py::array_t<int64_t, py::array::c_style> id,
         py::array_t<int64_t, py::array::c_style> size,
         py::array_t<int64_t, py::array::c_style> price,
         py::array_t<int64_t, py::array::c_style> direction, int levels, py::object reference) {
        const std::size_t n = static_cast<std::size_t>(type.size());
        if (id.size() != type.size() || size.size() != type.size() ||
            price.size() != type.size() || direction.size() != type.size())
          throw std::invalid_argument("message columns must have equal lengths");
        if (levels < 1) throw std::invalid_argument("levels must be >= 1");
        py::array_t<int64_t> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(4 * levels)});
        py::array_t<int64_t, py::array::c_style | py::array::forcecast> ref;
        const int64_t* ref_data = nullptr;
        if (!reference.is_none()) {
          ref = reference.cast<py::array_t<int64_t, py::array::c_style | py::array::forcecast>>();
          if (ref.ndim() != 2 || static_cast<std::size_t>(ref.shape(0)) != n ||
              ref.shape(1) != 4 * levels)
            throw std::invalid_argument("reference must have shape (n_messages, 4 * levels)");
          ref_data = ref.data();
        }
        int64_t* dst = out.mutable_data();
        {
          py::gil_scoped_release release;
          replay_lobster(type.data(), id.data(), size.data(), price.data(), direction.data(), n,
                         levels, ref_data, dst);
        }
        return out;
      },
      py::arg("type"), py::arg("order_id"), py::arg("size"), py::arg("price"),
      py::arg("direction"), py::arg("levels"), py::arg("reference"));

  m.def(
      "benchmark_workload",
      [](std::size_t n, uint64_t seed, std::size_t live_target) {
        WorkloadParams p;
        p.n = n;
        p.seed = seed;
        p.live_target = live_target;
        std::vector<OrderMsg> out;
        {
          py::gil_scoped_release release;
          out = benchmark_workload(p);
        }
        return to_bytes(out);
      },
      py::arg("n"), py::arg("seed"), py::arg("live_target"));

  py::class_<PoissonOrderFlow>(m, "PoissonOrderFlow")
      .def(py::init([](int32_t instrument, int32_t account, int64_t initial_price, int levels,
                       double limit_rate_scale, double limit_rate_exponent, double market_rate,
                       std::vector<double> cancel_rates, int64_t order_qty, int initial_depth,
                       double time_unit_ns, int64_t first_order_id, int64_t start_ts,
                       uint64_t seed) {
             OrderFlowParams p;
             p.instrument = instrument;
             p.account = account;
             p.initial_price = initial_price;
             p.levels = levels;
             p.limit_rate_scale = limit_rate_scale;
             p.limit_rate_exponent = limit_rate_exponent;
             p.market_rate = market_rate;
             p.cancel_rates = std::move(cancel_rates);
             p.order_qty = order_qty;
             p.initial_depth = initial_depth;
             p.time_unit_ns = time_unit_ns;
             p.first_order_id = first_order_id;
             p.start_ts = start_ts;
             p.seed = seed;
             return PoissonOrderFlow(p);
           }),
           py::kw_only(), py::arg("instrument"), py::arg("account"), py::arg("initial_price"),
           py::arg("levels"), py::arg("limit_rate_scale"), py::arg("limit_rate_exponent"),
           py::arg("market_rate"), py::arg("cancel_rates"), py::arg("order_qty"),
           py::arg("initial_depth"), py::arg("time_unit_ns"), py::arg("first_order_id"),
           py::arg("start_ts"), py::arg("seed"))
      .def(
          "run",
          [](PoissonOrderFlow& flow, MatchingEngine& engine, std::size_t max_events,
             int64_t until_ts) {
            std::vector<OrderMsg> out;
            std::size_t drawn = 0;
            {
              py::gil_scoped_release release;
              engine.clear_output();
              drawn = flow.run(engine, max_events, until_ts, &out);
            }
            return py::make_tuple(drawn, to_bytes(out), to_bytes(engine.trades()),
                                  to_bytes(engine.events()));
          },
          py::arg("engine"), py::arg("max_events"), py::arg("until_ts"))
      .def("now", &PoissonOrderFlow::now)
      .def("live_orders", &PoissonOrderFlow::live_orders);
}

}  // namespace alphafactory::bindings
