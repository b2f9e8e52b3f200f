#include "bindings.hpp"

namespace alphafactory::bindings {

void bind_engine(pybind11::module_& m) { (void)m; }

}  // namespace alphafactory::bindings
