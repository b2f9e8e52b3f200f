#pragma once
// One bind_* function per concept; module.cpp calls them all. Binding code holds no logic.
#include <pybind11/pybind11.h>

namespace alphafactory::bindings {

void bind_engine(pybind11::module_& m);
void bind_backtest(pybind11::module_& m);
void bind_talib(pybind11::module_& m);

}  // namespace alphafactory::bindings
