// pybind11 bindings of the matching engine: argument plumbing only, no logic.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "alphafactory/matching_engine.hpp"
#include "bindings.hpp"
#include "records_bindings.hpp"

namespace py = pybind11;

namespace alphafactory::bindings {

namespace {

py::dict field(std::size_t offset, const char* format) {
  py::dict d;
  d["offset"] = offset;
  d["format"] = format;
  return d;
}

py::dict record_layouts() {
  py::dict out;
  py::dict order;
  order["ts"] = field(offsetof(OrderMsg, ts), "<i8");
  order["order_id"] = field(offsetof(OrderMsg, order_id), "<i8");
  order["account"] = field(offsetof(OrderMsg, account), "<i4");
  order["instrument"] = field(offsetof(OrderMsg, instrument), "<i4");
  order["side"] = field(offsetof(OrderMsg, side), "i1");
  order["type"] = field(offsetof(OrderMsg, type), "i1");
  order["price"] = field(offsetof(OrderMsg, price), "<i8");
  order["qty"] = field(offsetof(OrderMsg, qty), "<i8");
  out["order"] = py::make_tuple(sizeof(OrderMsg), order);
  py::dict trade;
  trade["ts"] = field(offsetof(Trade, ts), "<i8");
  trade["trade_id"] = field(offsetof(Trade, trade_id), "<i8");
  trade["instrument"] = field(offsetof(Trade, instrument), "<i4");
  trade["price"] = field(offsetof(Trade, price), "<i8");
  trade["qty"] = field(offsetof(Trade, qty), "<i8");
  trade["aggressor_side"] = field(offsetof(Trade, aggressor_side), "i1");
  trade["maker_order_id"] = field(offsetof(Trade, maker_order_id), "<i8");
  trade["taker_order_id"] = field(offsetof(Trade, taker_order_id), "<i8");
  trade["maker_account"] = field(offsetof(Trade, maker_account), "<i4");
  trade["taker_account"] = field(offsetof(Trade, taker_account), "<i4");
  out["trade"] = py::make_tuple(sizeof(Trade), trade);
  py::dict event;
  event["ts"] = field(offsetof(Event, ts), "<i8");
  event["order_id"] = field(offsetof(Event, order_id), "<i8");
  event["instrument"] = field(offsetof(Event, instrument), "<i4");
  event["event"] = field(offsetof(Event, event), "i1");
  event["reason"] = field(offsetof(Event, reason), "i1");
  event["remaining_qty"] = field(offsetof(Event, remaining_qty), "<i8");
  out["event"] = py::make_tuple(sizeof(Event), event);
  py::dict change;
  change["ts"] = field(offsetof(BookChange, ts), "<i8");
  change["type"] = field(offsetof(BookChange, type), "i1");
  change["order_id"] = field(offsetof(BookChange, order_id), "<i8");
  change["qty"] = field(offsetof(BookChange, qty), "<i8");
  change["price"] = field(offsetof(BookChange, price), "<i8");
  change["side"] = field(offsetof(BookChange, side), "i1");
  change["instrument"] = field(offsetof(BookChange, instrument), "<i4");
  out["book_change"] = py::make_tuple(sizeof(BookChange), change);
  return out;
}

py::dict order_info(const OrderInfo& o) {
  py::dict d;
  d["order_id"] = o.order_id;
  d["price"] = o.price;
  d["qty"] = o.qty;
  d["account"] = o.account;
  d["instrument"] = o.instrument;
  d["side"] = o.side;
  return d;
}

py::tuple levels_array(const std::vector<LevelInfo>& lv) {
  py::array_t<int64_t> price(static_cast<py::ssize_t>(lv.size()));
  py::array_t<int64_t> qty(static_cast<py::ssize_t>(lv.size()));
  py::array_t<int64_t> count(static_cast<py::ssize_t>(lv.size()));
  auto p = price.mutable_unchecked<1>();
  auto q = qty.mutable_unchecked<1>();
  auto c = count.mutable_unchecked<1>();
  for (std::size_t i = 0; i < lv.size(); ++i) {
    const auto k = static_cast<py::ssize_t>(i);
    p(k) = lv[i].price;
    q(k) = lv[i].qty;
    c(k) = lv[i].count;
  }
  return py::make_tuple(price, qty, count);
}

}  // namespace

const OrderMsg* order_records(const py::array& orders, std::size_t* n) {
  if (orders.ndim() != 1)
    throw std::invalid_argument("orders must be a 1-d array, got " +
                                std::to_string(orders.ndim()) + " dimensions");
  if (static_cast<std::size_t>(orders.itemsize()) != sizeof(OrderMsg))
    throw std::invalid_argument("orders must have ORDER_DTYPE (" +
                                std::to_string(sizeof(OrderMsg)) + " bytes per record), got " +
                                std::to_string(orders.itemsize()));
  if (!(orders.flags() & py::array::c_style))
    throw std::invalid_argument("orders must be C-contiguous");
  *n = static_cast<std::size_t>(orders.shape(0));
  return static_cast<const OrderMsg*>(orders.data());
}

void bind_engine(py::module_& m) {
  m.def("record_layouts", &record_layouts,
        "Byte layout of the records: {name: (itemsize, {field: {offset, format}})}.");
  m.attr("NO_PRICE") = kNoPrice;
  m.attr("MAX_QTY") = kMaxQty;
  m.attr("MAX_PRICE") = kMaxPrice;

  py::class_<MatchingEngine>(m, "MatchingEngine")
      .def(py::init([](double tick_size, double lot_size, int stp, int64_t max_order_qty,
                       double max_order_notional, int64_t max_position, int64_t max_open_orders,
                       int64_t collar_ticks, double collar_fraction, bool emit_accepted,
                       bool log_book_changes) {
             if (stp < 0 || stp > 3) throw std::invalid_argument("stp must be 0..3");
             EngineConfig c;
             c.tick_size = tick_size;
             c.lot_size = lot_size;
             c.stp = static_cast<StpMode>(stp);
             c.risk.max_order_qty = max_order_qty;
             c.risk.max_order_notional = max_order_notional;
             c.risk.max_position = max_position;
             c.risk.max_open_orders = max_open_orders;
             c.risk.collar_ticks = collar_ticks;
             c.risk.collar_fraction = collar_fraction;
             c.emit_accepted = emit_accepted;
             c.log_book_changes = log_book_changes;
             return MatchingEngine(c);
           }),
           py::kw_only(), py::arg("tick_size"), py::arg("lot_size"), py::arg("stp") = 0,
           py::arg("max_order_qty") = -1, py::arg("max_order_notional") = -1.0,
           py::arg("max_position") = -1, py::arg("max_open_orders") = -1,
           py::arg("collar_ticks") = -1, py::arg("collar_fraction") = -1.0,
           py::arg("emit_accepted") = true, py::arg("log_book_changes") = false)
      .def("add_instrument", &MatchingEngine::add_instrument, py::arg("instrument"),
           py::arg("tick_size"), py::arg("lot_size"))
      .def("has_instrument", &MatchingEngine::has_instrument)
      .def("instruments", &MatchingEngine::instruments)
      .def(
          "process",
          [](MatchingEngine& e, const py::array& orders) {
            std::size_t n = 0;
            const OrderMsg* msgs = order_records(orders, &n);
            {
              py::gil_scoped_release release;
              e.clear_output();
              e.process(msgs, n);
            }
            return py::make_tuple(hand_over(e.trade_buffer()), hand_over(e.event_buffer()));
          },
          py::arg("orders"),
          "Process ORDER records; returns (trade bytes, event bytes) of this call.")
      .def("reset", &MatchingEngine::reset)
      .def("book_changes", [](const MatchingEngine& e) { return to_bytes(e.book_changes()); })
      .def("best_bid", &MatchingEngine::best_bid, py::arg("instrument") = 0)
      .def("best_ask", &MatchingEngine::best_ask, py::arg("instrument") = 0)
      .def("last_trade_price", &MatchingEngine::last_trade_price, py::arg("instrument") = 0)
      .def(
          "depth",
          [](const MatchingEngine& e, int32_t instrument, int8_t side, std::size_t n) {
            return levels_array(e.depth(instrument, side, n));
          },
          py::arg("instrument"), py::arg("side"), py::arg("levels"))
      .def("lookup",
           [](const MatchingEngine& e, int64_t id) -> py::object {
             OrderInfo o{};
             if (!e.lookup(id, &o)) return py::none();
             return order_info(o);
           })
      .def("l2_hash", &MatchingEngine::l2_hash)
      .def("position", &MatchingEngine::position, py::arg("account"), py::arg("instrument") = 0)
      .def("open_orders", &MatchingEngine::open_orders, py::arg("account"))
      .def("set_kill_switch", &MatchingEngine::set_kill_switch, py::arg("account"), py::arg("on"))
      .def("resting_orders", &MatchingEngine::resting_orders)
      .def("memory_bytes", &MatchingEngine::memory_bytes)
      .def("tick_size", &MatchingEngine::tick_size, py::arg("instrument") = 0)
      .def("lot_size", &MatchingEngine::lot_size, py::arg("instrument") = 0);

  bind_extras(m);
}

}  // namespace alphafactory::bindings
