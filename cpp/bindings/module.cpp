#include "bindings.hpp"

#include "alphafactory/version.hpp"

PYBIND11_MODULE(_engine, m) {
  m.doc() = "Compiled core of alphafactory (private: use alphafactory.engine).";
  m.def("engine_version", &alphafactory::engine_version, "Version of the C++ engine library.");
  alphafactory::bindings::bind_engine(m);
  alphafactory::bindings::bind_backtest(m);
  alphafactory::bindings::bind_talib(m);
}
