#pragma once
// Helpers shared by the engine's binding files (copying record vectors into numpy byte arrays).
#include <pybind11/numpy.h>

#include <cstring>
#include <vector>

#include "alphafactory/record_buffer.hpp"
#include "alphafactory/records.hpp"

namespace alphafactory::bindings {

// A 1-d uint8 array holding the records' bytes; the facade views it with the record's dtype.
template <class T>
pybind11::array_t<uint8_t> to_bytes(const std::vector<T>& v) {
  pybind11::array_t<uint8_t> out(static_cast<pybind11::ssize_t>(v.size() * sizeof(T)));
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
  return out;
}

template <class T>
pybind11::array_t<uint8_t> to_bytes(const RecordBuffer<T>& v) {
  pybind11::array_t<uint8_t> out(static_cast<pybind11::ssize_t>(v.size() * sizeof(T)));
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
  return out;
}

// The buffer's records as a uint8 array, leaving the buffer empty: large pooled storage is
// handed over without a copy (a capsule owns it and gives it back to the pool when numpy lets
// go), small storage is copied out. Call with the GIL held.
template <class T>
pybind11::array_t<uint8_t> hand_over(RecordBuffer<T>& v) {
  if (!v.pooled()) {
    pybind11::array_t<uint8_t> out = to_bytes(v);
    v.clear();
    return out;
  }
  std::size_t n = 0;
  auto* block = new block_pool::Block(v.take(&n));
  pybind11::capsule owner(block, [](void* p) {
    auto* b = static_cast<block_pool::Block*>(p);
    block_pool::release(*b);
    delete b;
  });
  return pybind11::array_t<uint8_t>({static_cast<pybind11::ssize_t>(n * sizeof(T))},
                                    {pybind11::ssize_t{1}}, static_cast<uint8_t*>(block->ptr),
                                    owner);
}

// Checks shape, itemsize and contiguity of an ORDER array and returns its records.
const OrderMsg* order_records(const pybind11::array& orders, std::size_t* n);

// Bindings of the simulator, LOBSTER replay and order flow (extras.cpp).
void bind_extras(pybind11::module_& m);

}  // namespace alphafactory::bindings
