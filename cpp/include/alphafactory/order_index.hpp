#pragma once
// Order id -> pool slot. Ids in [0, kDenseLimit) live in a direct-mapped array (sequential ids,
// the common case, then touch neighbouring memory); any other id goes to an open-addressing
// table of slots alone (4 bytes each; the id is read back from the order's node through the
// `key_of` argument, a callable slot -> id, passed per call so that the index holds no pointer
// into its owner; a big book of hashed ids so costs 8-16 bytes an order, not 32). Both are O(1);
// the array grows on demand up to 4 bytes x the largest dense id.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace alphafactory {

class OrderIndex {
 public:
  static constexpr uint32_t kAbsent = 0xFFFFFFFFu;
  static constexpr int64_t kDenseLimit = int64_t{1} << 24;

  OrderIndex() { table_.assign(16, kAbsent); mask_ = 15; shift_ = 60; }

  // The slot of id, or kAbsent.
  template <class KeyOf>
  uint32_t find(int64_t id, const KeyOf& key_of) const {
    if (id >= 0 && id < kDenseLimit) {
      const std::size_t i = static_cast<std::size_t>(id);
      return i < dense_.size() ? dense_[i] : kAbsent;
    }
    for (std::size_t i = home(id);; i = (i + 1) & mask_) {
      const uint32_t s = table_[i];
      if (s == kAbsent || key_of(s) == id) return s;
    }
  }
  // The slot of id, or kAbsent; for a prefetch hint only: never probes the hash table.
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
  // Inserts id -> slot (the node at `slot` must already hold `id`); false if id is present.
  template <class KeyOf>
  bool insert(int64_t id, uint32_t slot, const KeyOf& key_of) {
    if (id >= 0 && id < kDenseLimit) {
      const std::size_t i = static_cast<std::size_t>(id);
      if (i >= dense_.size()) reserve_dense(id);
      if (dense_[i] != kAbsent) return false;
      dense_[i] = slot;
      ++size_;
      return true;
    }
    if ((sparse_ + 1) * 2 > table_.size()) rehash(table_.size() * 2, key_of);
    std::size_t i = home(id);
    for (; table_[i] != kAbsent; i = (i + 1) & mask_)
      if (key_of(table_[i]) == id) return false;
    table_[i] = slot;
    ++sparse_;
    ++size_;
    return true;
  }
  template <class KeyOf>
  bool erase(int64_t id, const KeyOf& key_of) {
    if (id >= 0 && id < kDenseLimit) {
      const std::size_t i = static_cast<std::size_t>(id);
      if (i >= dense_.size() || dense_[i] == kAbsent) return false;
      dense_[i] = kAbsent;
      --size_;
      return true;
    }
    std::size_t i = home(id);
    while (true) {
      if (table_[i] == kAbsent) return false;
      if (key_of(table_[i]) == id) break;
      i = (i + 1) & mask_;
    }
    // Backward-shift deletion: no tombstones, so probes stay short under any mix.
    std::size_t j = i;
    while (true) {
      j = (j + 1) & mask_;
      if (table_[j] == kAbsent) break;
      const std::size_t h = home(key_of(table_[j]));
      // Move j back to i unless its home lies cyclically in (i, j].
      const bool home_between = (i <= j) ? (h > i && h <= j) : (h > i || h <= j);
      if (!home_between) {
        table_[i] = table_[j];
        i = j;
      }
    }
    table_[i] = kAbsent;
    --sparse_;
    --size_;
    return true;
  }
  void clear() {
    std::fill(dense_.begin(), dense_.end(), kAbsent);
    std::fill(table_.begin(), table_.end(), kAbsent);
    sparse_ = 0;
    size_ = 0;
  }
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const {
    return (dense_.capacity() + table_.capacity()) * sizeof(uint32_t);
  }

 private:
  std::size_t home(int64_t id) const {
    return static_cast<std::size_t>((static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  // Called only while every stored slot's node still holds its id.
  template <class KeyOf>
  void rehash(std::size_t capacity, const KeyOf& key_of) {
    std::size_t cap = 16;
    while (cap < capacity) cap *= 2;
    std::vector<uint32_t> old(cap, kAbsent);
    old.swap(table_);
    mask_ = cap - 1;
    shift_ = 64;
    for (std::size_t c = cap; c > 1; c >>= 1) --shift_;
    for (const uint32_t s : old) {
      if (s == kAbsent) continue;
      std::size_t i = home(key_of(s));
      while (table_[i] != kAbsent) i = (i + 1) & mask_;
      table_[i] = s;
    }
  }

  std::vector<uint32_t> dense_;
  std::vector<uint32_t> table_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t sparse_ = 0;
  std::size_t size_ = 0;
};

}  // namespace alphafactory
