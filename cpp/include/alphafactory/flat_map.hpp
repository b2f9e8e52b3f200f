#pragma once
// Open-addressing hash map from int64 keys to small values: linear probing, power-of-two capacity,
// load factor <= 1/2, backward-shift deletion (no tombstones), so lookups and erases stay O(1)
// under any mix of inserts and erases.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace alphafactory {

template <class V>
class FlatMap {
 public:
  explicit FlatMap(std::size_t capacity = 16) { rehash(capacity); }

  V* find(int64_t key) {
    std::size_t i = slot_of(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) return &slots_[i].value;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }
  const V* find(int64_t key) const { return const_cast<FlatMap*>(this)->find(key); }

  // Inserts key -> value; returns false (and changes nothing) when the key is present.
  bool insert(int64_t key, const V& value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    std::size_t i = slot_of(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) return false;
      i = (i + 1) & mask_;
    }
    slots_[i] = Slot{key, value, true};
    ++size_;
    return true;
  }

  // The value for key, inserted as `init` when absent.
  V& get_or_insert(int64_t key, const V& init) {
    if (V* v = find(key)) return *v;
    insert(key, init);
    return *find(key);
  }

  bool erase(int64_t key) {
    std::size_t i = slot_of(key);
    while (true) {
      if (!slots_[i].used) return false;
      if (slots_[i].key == key) break;
      i = (i + 1) & mask_;
    }
    std::size_t j = i;
    while (true) {
      j = (j + 1) & mask_;
      if (!slots_[j].used) break;
      const std::size_t home = slot_of(slots_[j].key);
      // Move j back to i unless its home lies cyclically in (i, j].
      const bool home_between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
      if (!home_between) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i].used = false;
    --size_;
    return true;
  }

  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.used) f(s.key, s.value);
  }

  void clear() {
    for (Slot& s : slots_) s.used = false;
    size_ = 0;
  }
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    int64_t key;
    V value;
    bool used;
  };

  std::size_t slot_of(int64_t key) const {
    uint64_t x = static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(x >> shift_);
  }

  void rehash(std::size_t capacity) {
    std::size_t cap = 16;
    while (cap < capacity) cap *= 2;
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{0, V{}, false});
    mask_ = cap - 1;
    shift_ = 64;
    for (std::size_t c = cap; c > 1; c >>= 1) --shift_;
    size_ = 0;
    for (const Slot& s : old)
      if (s.used) insert(s.key, s.value);
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace alphafactory
