// pybind11 bindings of the CSV simulator, LOBSTER replay and Poisson order flow.
#include "records_bindings.hpp"

namespace alphafactory::bindings {

void bind_extras(pybind11::module_& m) { (void)m; }

}  // namespace alphafactory::bindings
