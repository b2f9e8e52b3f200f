#pragma once
// Growable arrays of output records whose storage can be handed over (to numpy, without a copy)
// and comes back to a small process-wide pool when the new owner lets go.
//
// Why: a batch of a million messages writes ~70 MB of trades and events. Copying them out of
// reused vectors costs a pass over memory plus the page faults of the fresh destination; handing
// the engine's own storage over costs neither, and a pool of returned blocks keeps the next call
// from faulting fresh pages in again. Blocks are mmap'd in 2 MiB multiples with transparent huge
// pages requested (where the kernel offers them), so even a first call faults 512x fewer pages.
// Small arrays (under 1 MiB: single orders, short batches) live on the ordinary heap and are
// copied out instead, so holding many small results never pins 2 MiB each.
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace alphafactory {

namespace block_pool {

constexpr std::size_t kGranule = std::size_t{2} << 20;  // a huge page
constexpr std::size_t kSmall = std::size_t{1} << 20;    // below: the ordinary heap
constexpr std::size_t kMaxPooled = 8;                   // blocks kept for reuse
constexpr std::size_t kMaxPooledBytes = std::size_t{512} << 20;

struct Block {
  void* ptr = nullptr;
  std::size_t bytes = 0;
  bool mapped = false;  // a pooled mapping (else malloc'd)
};

struct Pool {
  std::mutex mu;
  std::vector<Block> free;
  std::size_t bytes = 0;
};

inline Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: capsules may outlive static destruction
  return *p;
}

// A block of at least `bytes`: the smallest pooled one that fits, else a fresh mapping.
inline Block acquire(std::size_t bytes) {
  if (bytes < kSmall) {
    void* ptr = std::malloc(std::max<std::size_t>(bytes, 64));
    if (!ptr) throw std::bad_alloc();
    return Block{ptr, std::max<std::size_t>(bytes, 64), false};
  }
  bytes = (std::max<std::size_t>(bytes, 1) + kGranule - 1) / kGranule * kGranule;
  {
    Pool& p = pool();
    std::lock_guard<std::mutex> lock(p.mu);
    std::size_t best = p.free.size();
    for (std::size_t i = 0; i < p.free.size(); ++i)
      if (p.free[i].bytes >= bytes && (best == p.free.size() || p.free[i].bytes < p.free[best].bytes))
        best = i;
    if (best < p.free.size()) {
      const Block b = p.free[best];
      p.free.erase(p.free.begin() + static_cast<std::ptrdiff_t>(best));
      p.bytes -= b.bytes;
      return b;
    }
  }
  void* ptr = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ptr == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(ptr, bytes, MADV_HUGEPAGE);
#endif
  return Block{ptr, bytes, true};
}

// Returns a block to the pool (the largest kMaxPooled are kept, up to kMaxPooledBytes).
inline void release(Block b) {
  if (!b.ptr) return;
  if (!b.mapped) {
    std::free(b.ptr);
    return;
  }
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.free.push_back(b);
    p.bytes += b.bytes;
    b = Block{};
    while (p.free.size() > kMaxPooled || p.bytes > kMaxPooledBytes) {
      const auto smallest = std::min_element(
          p.free.begin(), p.free.end(),
          [](const Block& x, const Block& y) { return x.bytes < y.bytes; });
      b = *smallest;
      p.free.erase(smallest);
      p.bytes -= b.bytes;
      munmap(b.ptr, b.bytes);
    }
  }
}

}  // namespace block_pool

// A vector-like array of trivially copyable records on pooled blocks (see above).
template <class T>
class RecordBuffer {
 public:
  RecordBuffer() = default;
  RecordBuffer(const RecordBuffer& o) { *this = o; }
  RecordBuffer(RecordBuffer&& o) noexcept { swap(o); }
  RecordBuffer& operator=(const RecordBuffer& o) {
    if (this != &o) {
      clear();
      reserve(o.size_);
      if (o.size_) std::memcpy(block_.ptr, o.block_.ptr, o.size_ * sizeof(T));
      size_ = o.size_;
    }
    return *this;
  }
  RecordBuffer& operator=(RecordBuffer&& o) noexcept {
    swap(o);
    return *this;
  }
  ~RecordBuffer() { block_pool::release(block_); }
  void swap(RecordBuffer& o) noexcept {
    std::swap(block_, o.block_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

  void push_back(const T& v) {
    if (size_ == capacity_) grow(size_ + 1);
    data_()[size_++] = v;
  }
  void reserve(std::size_t n) {
    if (n > capacity_) grow(n);
  }
  void clear() { size_ = 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  const T* data() const { return static_cast<const T*>(block_.ptr); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  const T& back() const { return data()[size_ - 1]; }

  // Whether take() is worth it (a pooled mapping) rather than copying the records out.
  bool pooled() const { return block_.mapped; }
  // Hands the storage over (records first, `size` of them) and leaves this buffer empty; the
  // new owner gives it back with block_pool::release.
  block_pool::Block take(std::size_t* size) {
    *size = size_;
    const block_pool::Block b = block_;
    block_ = block_pool::Block{};
    size_ = capacity_ = 0;
    return b;
  }

 private:
  T* data_() { return static_cast<T*>(block_.ptr); }
  // Out of line so that push_back stays a compare and a store where it is inlined.
  __attribute__((noinline)) void grow(std::size_t need) {
    const std::size_t want = std::max({need, capacity_ * 2, std::size_t{16}});
    const block_pool::Block b = block_pool::acquire(want * sizeof(T));
    if (size_) std::memcpy(b.ptr, block_.ptr, size_ * sizeof(T));
    block_pool::release(block_);
    block_ = b;
    capacity_ = b.bytes / sizeof(T);
  }

  block_pool::Block block_{};
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace alphafactory
