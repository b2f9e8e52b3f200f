// Read-only queries and bookkeeping of MatchingEngine (the matching itself is in
// matching_engine.cpp).
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "alphafactory/matching_engine.hpp"

namespace alphafactory {

std::vector<int32_t> MatchingEngine::instruments() const {
  std::vector<int32_t> out;
  for (const Book& b : books_) out.push_back(b.instrument);
  std::sort(out.begin(), out.end());
  return out;
}

int64_t MatchingEngine::best_bid(int32_t instrument) const {
  const auto& lv = book_at(instrument).sides[0];
  return lv.empty() ? kNoPrice : lv.back().key;
}

int64_t MatchingEngine::best_ask(int32_t instrument) const {
  const auto& lv = book_at(instrument).sides[1];
  return lv.empty() ? kNoPrice : -lv.back().key;
}

int64_t MatchingEngine::last_trade_price(int32_t instrument) const {
  return book_at(instrument).last_trade;
}

std::vector<LevelInfo> MatchingEngine::depth(int32_t instrument, int8_t side,
                                             std::size_t n) const {
  const auto& lv = book_at(instrument).sides[side_index(side)];
  std::vector<LevelInfo> out;
  for (std::size_t i = lv.size(); i-- > 0 && out.size() < n;) {
    const Level& l = levels_[lv[i].level];
    out.push_back(LevelInfo{l.price, l.qty, l.count});
  }
  return out;
}

bool MatchingEngine::lookup(int64_t order_id, OrderInfo* out) const {
  const uint32_t idx = find_order(order_id);
  if (idx == kNil) return false;
  const Node& n = pool_[idx];
  const Level& l = levels_[n.level];
  *out = OrderInfo{n.id, l.price, n.qty, n.account,
                   books_[static_cast<std::size_t>(book_of(l))].instrument, side_of(l)};
  return true;
}

uint64_t MatchingEngine::l2_hash() const {
  uint64_t h = 1469598103934665603ULL;
  const auto mix = [&h](int64_t v) { h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL; };
  for (int32_t instrument : instruments()) {
    const Book& b = book_at(instrument);
    for (int s = 0; s < 2; ++s) {
      const auto& lv = b.sides[s];
      for (std::size_t i = lv.size(); i-- > 0;) {
        mix(instrument);
        mix(s == 0 ? kBuy : kSell);
        mix(s == 0 ? lv[i].key : -lv[i].key);
        mix(levels_[lv[i].level].qty);
      }
    }
  }
  return h;
}

int128_t MatchingEngine::position_wide(int32_t acct, int32_t instrument) const {
  const int128_t* p = positions_.find(position_key(acct, instrument));
  return p ? *p : 0;
}

int64_t MatchingEngine::position(int32_t acct, int32_t instrument) const {
  const int128_t p = position_wide(acct, instrument);
  if (p > std::numeric_limits<int64_t>::max() || p < -std::numeric_limits<int64_t>::max())
    throw std::overflow_error("position of account " + std::to_string(acct) + " in instrument " +
                              std::to_string(instrument) + " is beyond int64 lots");
  return static_cast<int64_t>(p);
}

int64_t MatchingEngine::open_orders(int32_t acct) const {
  const Account* a = accounts_.find(acct);
  return a ? a->open_orders : 0;
}

void MatchingEngine::set_kill_switch(int32_t acct, bool on) {
  Account& a = account(acct);
  if (a.killed != on) killed_accounts_ += on ? 1 : -1;
  a.killed = on;
}

std::size_t MatchingEngine::memory_bytes() const {
  std::size_t bytes = pool_.memory_bytes() + index_.memory_bytes() + accounts_.memory_bytes() +
                      positions_.memory_bytes() +
                      levels_.capacity() * sizeof(Level) +
                      free_levels_.capacity() * sizeof(uint32_t);
  for (const Book& b : books_)
    bytes += (b.sides[0].capacity() + b.sides[1].capacity()) * sizeof(LevelRef);
  return bytes;
}

}  // namespace alphafactory
