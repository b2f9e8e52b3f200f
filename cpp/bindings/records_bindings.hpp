#pragma once
// Helpers shared by the engine's binding files (copying record vectors into numpy byte arrays).
#include <pybind11/numpy.h>

#include <cstring>
#include <vector>

#include "alphafactory/records.hpp"

namespace alphafactory::bindings {

// A 1-d uint8 array holding the records' bytes; the facade views it with the record's dtype.
template <class T>
pybind11::array_t<uint8_t> to_bytes(const std::vector<T>& v) {
  pybind11::array_t<uint8_t> out(static_cast<pybind11::ssize_t>(v.size() * sizeof(T)));
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
  return out;
}

// Checks shape, itemsize and contiguity of an ORDER array and returns its records.
const OrderMsg* order_records(const pybind11::array& orders, std::size_t* n);

// Bindings of the simulator, LOBSTER replay and order flow (extras.cpp).
void bind_extras(pybind11::module_& m);

}  // namespace alphafactory::bindings
