#pragma once
// Order id -> pool slot. Ids in [0, kDenseLimit) live in a direct-mapped array (sequential ids,
// the common case, then touch neighbouring memory); any other id goes to an open-addressing
// hash map. Both are O(1); the array grows on demand up to 4 bytes x the largest dense id.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <vector>

#include "alphafactory/flat_map.hpp"

namespace alphafactory {

class OrderIndex {
 public:
  static constexpr uint32_t kAbsent = 0xFFFFFFFFu;
  static constexpr int64_t kDenseLimit = int64_t{1} << 24;

  const uint32_t* find(int64_t id) const {
    if (id >= 0 && id < kDenseLimit) {
      const std::size_t i = static_cast<std::size_t>(id);
      return i < dense_.size() && dense_[i] != kAbsent ? &dense_[i] : nullptr;
    }
    return sparse_.find(id);
  }
  // The slot of id, or kAbsent; for a prefetch hint only: never touches the hash map.
  uint32_t peek(int64_t id) const {
    const uint64_t i = static_cast<uint64_t>(id);
    return i < dense_.size() ? dense_[i] : kAbsent;
  }
  void prefetch(int64_t id) const {
    const uint64_t i = static_cast<uint64_t>(id);
    if (i < dense_.size()) __builtin_prefetch(&dense_[i]);
  }
  // Grows the dense array to cover ids up to `id` at once (a batch's last id), instead of
  // doubling on the way there.
  void reserve_dense(int64_t id) {
    if (id < 0 || id >= kDenseLimit || static_cast<std::size_t>(id) < dense_.size()) return;
    std::size_t cap = dense_.size() < 1024 ? 1024 : dense_.size();
    while (cap <= static_cast<std::size_t>(id)) cap *= 2;
    dense_.resize(cap, kAbsent);
  }
  // Inserts id -> slot; false if present.
  bool insert(int64_t id, uint32_t slot) {
    if (id >= 0 && id < kDenseLimit) {
      const std::size_t i = static_cast<std::size_t>(id);
      if (i >= dense_.size()) {
        std::size_t cap = dense_.size() < 1024 ? 1024 : dense_.size();
        while (cap <= i) cap *= 2;
        dense_.resize(cap, kAbsent);
      }
      if (dense_[i] != kAbsent) return false;
      dense_[i] = slot;
      ++size_;
      return true;
    }
    if (!sparse_.insert(id, slot)) return false;
    ++size_;
    return true;
  }
  bool erase(int64_t id) {
    if (id >= 0 && id < kDenseLimit) {
      const std::size_t i = static_cast<std::size_t>(id);
      if (i >= dense_.size() || dense_[i] == kAbsent) return false;
      dense_[i] = kAbsent;
      --size_;
      return true;
    }
    if (!sparse_.erase(id)) return false;
    --size_;
    return true;
  }
  void clear() {
    std::fill(dense_.begin(), dense_.end(), kAbsent);
    sparse_.clear();
    size_ = 0;
  }
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const {
    return dense_.capacity() * sizeof(uint32_t) + sparse_.memory_bytes();
  }

 private:
  std::vector<uint32_t> dense_;
  FlatMap<uint32_t> sparse_;
  std::size_t size_ = 0;
};

}  // namespace alphafactory
