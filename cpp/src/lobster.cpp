#include "alphafactory/lobster.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "alphafactory/flat_map.hpp"

namespace alphafactory {

namespace {

struct LobOrder {
  int64_t price = 0;
  int64_t qty = 0;
  int64_t side = 0;
};

struct LobLevel {
  int64_t key;  // side-aware: bids price, asks -price; ascending, best at back
  int64_t qty;
};

class LobBook {
 public:
  void add(int64_t side, int64_t price, int64_t qty) {
    auto& lv = sides_[side > 0 ? 0 : 1];
    const int64_t key = side > 0 ? price : -price;
    auto it = std::lower_bound(lv.begin(), lv.end(), key,
                               [](const LobLevel& l, int64_t k) { return l.key < k; });
    if (it != lv.end() && it->key == key) {
      int64_t total = 0;
      // Sizes come from a file: a level past int64 is an error, never a wrapped negative size.
      if (__builtin_add_overflow(it->qty, qty, &total))
        throw std::overflow_error("LOBSTER level at price " + std::to_string(price) +
                                  " exceeds int64 shares");
      it->qty = total;
    } else {
      lv.insert(it, LobLevel{key, qty});
    }
  }
  // Removes up to qty at the level; drops the level when it reaches zero.
  void reduce(int64_t side, int64_t price, int64_t qty) {
    auto& lv = sides_[side > 0 ? 0 : 1];
    const int64_t key = side > 0 ? price : -price;
    auto it = std::lower_bound(lv.begin(), lv.end(), key,
                               [](const LobLevel& l, int64_t k) { return l.key < k; });
    if (it == lv.end() || it->key != key) return;
    it->qty -= std::min(qty, it->qty);
    if (it->qty <= 0) lv.erase(it);
  }
  // Makes the top `levels` levels equal to an orderbook row: levels at or better than the
  // row's last level are replaced by the row's (all levels if the row shows fewer).
  void resync(int levels, const int64_t* row) {
    for (int s = 0; s < 2; ++s) {
      auto& lv = sides_[s];
      const int64_t side = s == 0 ? 1 : -1;
      const int off = s == 0 ? 2 : 0;
      const int64_t empty = s == 0 ? kLobsterEmptyBid : kLobsterEmptyAsk;
      const int64_t last = row[4 * (levels - 1) + off];
      if (last == empty || row[4 * (levels - 1) + off + 1] <= 0) {
        lv.clear();
      } else {
        const int64_t key = side > 0 ? last : -last;
        auto it = std::lower_bound(lv.begin(), lv.end(), key,
                                   [](const LobLevel& l, int64_t k) { return l.key < k; });
        lv.erase(it, lv.end());
      }
      for (int j = 0; j < levels; ++j)
        if (row[4 * j + off] != empty && row[4 * j + off + 1] > 0)
          add(side, row[4 * j + off], row[4 * j + off + 1]);
    }
  }

  void write_row(int levels, int64_t* row) const {
    const auto& bids = sides_[0];
    const auto& asks = sides_[1];
    for (int j = 0; j < levels; ++j) {
      const std::size_t k = static_cast<std::size_t>(j);
      int64_t* r = row + 4 * j;
      if (k < asks.size()) {
        r[0] = -asks[asks.size() - 1 - k].key;
        r[1] = asks[asks.size() - 1 - k].qty;
      } else {
        r[0] = kLobsterEmptyAsk;
        r[1] = 0;
      }
      if (k < bids.size()) {
        r[2] = bids[bids.size() - 1 - k].key;
        r[3] = bids[bids.size() - 1 - k].qty;
      } else {
        r[2] = kLobsterEmptyBid;
        r[3] = 0;
      }
    }
  }

 private:
  std::vector<LobLevel> sides_[2];
};

}  // namespace

void replay_lobster(const int64_t* type, const int64_t* order_id, const int64_t* size,
                    const int64_t* price, const int64_t* direction, std::size_t n, int levels,
                    const int64_t* reference, int64_t* out) {
  LobBook book;
  FlatMap<LobOrder> orders;
  const std::size_t width = 4 * static_cast<std::size_t>(levels);
  std::size_t start = 0;
  if (reference && n > 0) {
    book.resync(levels, reference);
    std::copy(reference, reference + width, out);
    start = 1;
  }
  for (std::size_t i = start; i < n; ++i) {
    const int64_t t = type[i], id = order_id[i], q = size[i] > 0 ? size[i] : 0;
    const int64_t side = direction[i] > 0 ? 1 : -1;
    if (t == 1) {
      if (LobOrder* old = orders.find(id)) {  // a reused id replaces the old order
        book.reduce(old->side, old->price, old->qty);
        orders.erase(id);
      }
      book.add(side, price[i], q);
      orders.insert(id, LobOrder{price[i], q, side});
    } else if (t == 2 || t == 3 || t == 4) {
      if (LobOrder* o = orders.find(id)) {
        const int64_t take = t == 3 ? o->qty : std::min(q, o->qty);
        book.reduce(o->side, o->price, take);
        o->qty -= take;
        if (o->qty <= 0) orders.erase(id);
      } else {
        book.reduce(side, price[i], q);  // an order from before the file: anonymous quantity
      }
    }
    book.write_row(levels, out + i * width);
    if (reference) book.resync(levels, reference + i * width);
  }
}

}  // namespace alphafactory
