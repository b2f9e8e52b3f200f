#include "alphafactory/matching_engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace alphafactory {

namespace {
constexpr int8_t kChangeAdd = 1;
constexpr int8_t kChangeReduce = 2;
constexpr int8_t kChangeDelete = 3;
constexpr int8_t kChangeExecute = 4;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
// A level holds at most (resting orders) * kMaxQty lots and a position at most the lots traded,
// so below these watermarks no order can overflow either and the exact check is skipped.
constexpr std::size_t kRestingWatch = static_cast<std::size_t>((kInt64Max - kMaxQty) / kMaxQty);
constexpr int64_t kTradedWatch = kInt64Max - kMaxQty;

bool can_rest(int8_t type) {
  return type == static_cast<int8_t>(OrderType::kLimit) ||
         type == static_cast<int8_t>(OrderType::kPostOnly);
}
}  // namespace

MatchingEngine::MatchingEngine(const EngineConfig& config) : config_(config) {
  config_.risk.validate();
  if (static_cast<int>(config_.stp) < 0 || static_cast<int>(config_.stp) > 3)
    throw std::invalid_argument("stp must be 0..3, got " +
                                std::to_string(static_cast<int>(config_.stp)));
  risk_on_ = config_.risk.any();
  add_instrument(0, config.tick_size, config.lot_size);
}

void MatchingEngine::add_instrument(int32_t instrument, double tick_size, double lot_size) {
  if (!(tick_size > 0) || !(lot_size > 0) || !std::isfinite(tick_size) || !std::isfinite(lot_size))
    throw std::invalid_argument("tick_size and lot_size must be finite numbers > 0, got " +
                                std::to_string(tick_size) + " and " + std::to_string(lot_size));
  if (find_book(instrument) >= 0)
    throw std::invalid_argument("instrument " + std::to_string(instrument) + " already exists");
  Book b;
  b.instrument = instrument;
  b.tick_size = tick_size;
  b.lot_size = lot_size;
  books_.push_back(std::move(b));
  book_index_.insert(instrument, static_cast<int32_t>(books_.size() - 1));
}

bool MatchingEngine::has_instrument(int32_t instrument) const { return find_book(instrument) >= 0; }

void MatchingEngine::reset() {
  for (Book& b : books_) {
    b.sides[0].clear();
    b.sides[1].clear();
    b.last_trade = kNoPrice;
  }
  pool_.clear();
  levels_.clear();
  free_levels_.clear();
  index_.clear();
  accounts_.clear();
  cached_account_ = nullptr;
  positions_.clear();
  pos_cache_[0] = pos_cache_[1] = PositionSlot{};
  killed_accounts_ = 0;
  traded_lots_ = 0;
  next_trade_id_ = 1;
  clear_output();
}

const MatchingEngine::Book& MatchingEngine::book_at(int32_t instrument) const {
  const int i = find_book(instrument);
  if (i < 0) throw std::invalid_argument("unknown instrument " + std::to_string(instrument));
  return books_[static_cast<std::size_t>(i)];
}

void MatchingEngine::process(const OrderMsg* msgs, std::size_t n) {
  // Sized from the input so that a typical stream never regrows (untouched capacity of a large
  // buffer is only address space).
  events_.reserve(events_.size() + n + n / 2);
  trades_.reserve(trades_.size() + n / 2);
  if (n > 0) index_.reserve_dense(msgs[n - 1].order_id);  // ids mostly ascend in a batch
  // Cancels and modifies hit resting orders scattered in memory: the id index slot is fetched
  // kAhead messages early, and the order's node half as early, so the misses overlap.
  constexpr std::size_t kAhead = 16;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kAhead < n) {
      const OrderMsg& f = msgs[i + kAhead];
      if (f.type >= static_cast<int8_t>(OrderType::kCancel)) index_.prefetch(f.order_id);
      const OrderMsg& g = msgs[i + kAhead / 2];
      if (g.type >= static_cast<int8_t>(OrderType::kCancel)) {
        const uint32_t slot = index_.peek(g.order_id);
        if (slot < pool_.size()) __builtin_prefetch(&pool_[slot]);  // size(): slots in chunks
      }
    }
    process_one(msgs[i]);
  }
}

void MatchingEngine::process_one(const OrderMsg& m) {
  switch (static_cast<OrderType>(m.type)) {
    case OrderType::kLimit:
    case OrderType::kMarket:
    case OrderType::kIoc:
    case OrderType::kFok:
    case OrderType::kPostOnly:
      handle_new(m);
      return;
    case OrderType::kCancel:
      handle_cancel(m);
      return;
    case OrderType::kModify:
      handle_modify(m);
      return;
  }
  emit(m.ts, m.order_id, m.instrument, EventType::kRejected, Reason::kInvalidType, m.qty);
}

void MatchingEngine::handle_new(const OrderMsg& m) {
  const auto reject = [&](Reason r) {
    emit(m.ts, m.order_id, m.instrument, EventType::kRejected, r, m.qty);
  };
  const bool market = m.type == static_cast<int8_t>(OrderType::kMarket);
  if (m.side != kBuy && m.side != kSell) return reject(Reason::kInvalidSide);
  const int bi = find_book(m.instrument);
  if (bi < 0) return reject(Reason::kUnknownInstrument);
  if (m.qty <= 0) return reject(Reason::kNonPositiveQty);
  if (m.qty > kMaxQty) return reject(Reason::kQtyOutOfRange);
  if (!market && m.price <= 0) return reject(Reason::kNonPositivePrice);
  if (!market && m.price > kMaxPrice) return reject(Reason::kPriceOutOfRange);
  if (find_order(m.order_id) != kNil) return reject(Reason::kDuplicateId);
  Book& b = books_[static_cast<std::size_t>(bi)];
  if (risk_on_ || killed_accounts_ > 0) {
    const Reason r = check_risk(b, m.account, m.side, m.type, m.price, m.qty);
    if (r != Reason::kNone) return reject(r);
  }
  if (m.type == static_cast<int8_t>(OrderType::kPostOnly)) {
    const auto& opp = b.sides[1 - side_index(m.side)];
    if (!opp.empty() && opp.back().key >= -m.side * m.price) return reject(Reason::kWouldCross);
  }
  if (index_.size() >= kRestingWatch || traded_lots_ >= kTradedWatch) {
    const Reason r = check_overflow(b, m.account, m.side, can_rest(m.type), m.price, m.qty, 0);
    if (r != Reason::kNone) return reject(r);
  }
  if (config_.emit_accepted)
    emit(m.ts, m.order_id, m.instrument, EventType::kAccepted, Reason::kNone, m.qty);
  if (m.type == static_cast<int8_t>(OrderType::kFok) &&
      !fok_fillable(b, m.side, m.account, m.price, m.qty)) {
    emit(m.ts, m.order_id, m.instrument, EventType::kCanceled, Reason::kFokUnfilled, m.qty);
    return;
  }
  bool stp_stop = false;
  // Most limit orders do not cross: skip the matching loop for them.
  const auto& opp = b.sides[1 - side_index(m.side)];
  const bool crosses = market || (!opp.empty() && opp.back().key >= -m.side * m.price);
  const int64_t rem = crosses ? match(b, m.ts, m.order_id, m.account, m.side, market, m.price,
                                      m.qty, &stp_stop)
                              : m.qty;
  if (rem == 0) {
    emit(m.ts, m.order_id, m.instrument, EventType::kFilled, Reason::kNone, 0);
  } else if (stp_stop) {
    emit(m.ts, m.order_id, m.instrument, EventType::kCanceled, Reason::kSelfTrade, rem);
  } else if (can_rest(m.type)) {
    rest(b, bi, m.ts, m.order_id, m.account, m.side, m.price, rem);
  } else {
    const Reason why = market ? Reason::kMarketNoLiquidity
                       : m.type == static_cast<int8_t>(OrderType::kIoc) ? Reason::kIocRemainder
                                                                         : Reason::kFokUnfilled;
    emit(m.ts, m.order_id, m.instrument, EventType::kCanceled, why, rem);
  }
}

void MatchingEngine::handle_cancel(const OrderMsg& m) {
  const uint32_t idx = find_order(m.order_id);
  if (idx == kNil) {
    emit(m.ts, m.order_id, m.instrument, EventType::kRejected, Reason::kUnknownId, 0);
    return;
  }
  const Node& n = pool_[idx];
  const Level& level = levels_[n.level];
  const int32_t instrument = books_[static_cast<std::size_t>(book_of(level))].instrument;
  emit(m.ts, n.id, instrument, EventType::kCanceled, Reason::kUser, n.qty);
  log_change(m.ts, n.id, instrument, kChangeDelete, side_of(level), level.price, n.qty);
  remove_order(idx);
}

void MatchingEngine::handle_modify(const OrderMsg& m) {
  const uint32_t idx = find_order(m.order_id);
  if (idx == kNil) {
    emit(m.ts, m.order_id, m.instrument, EventType::kRejected, Reason::kUnknownId, m.qty);
    return;
  }
  // What the order is, copied: remove_order below frees its node and maybe its level.
  const uint32_t li = pool_[idx].level;
  const struct {
    int64_t id, qty, price;
    int32_t account, book;
    int8_t side;
  } o = {pool_[idx].id,      pool_[idx].qty,      levels_[li].price,
         pool_[idx].account, book_of(levels_[li]), side_of(levels_[li])};
  Book& b = books_[static_cast<std::size_t>(o.book)];
  const auto reject = [&](Reason r) {
    emit(m.ts, m.order_id, b.instrument, EventType::kRejected, r, m.qty);
  };
  if (m.qty <= 0) return reject(Reason::kNonPositiveQty);
  if (m.qty > kMaxQty) return reject(Reason::kQtyOutOfRange);
  if (m.price <= 0) return reject(Reason::kNonPositivePrice);
  if (m.price > kMaxPrice) return reject(Reason::kPriceOutOfRange);
  if (risk_on_ || killed_accounts_ > 0) {
    const Reason r = check_risk(b, o.account, o.side, m.type, m.price, m.qty);
    if (r != Reason::kNone) return reject(r);
  }
  const bool in_place = m.price == o.price && m.qty <= o.qty;
  if (!in_place && (index_.size() >= kRestingWatch || traded_lots_ >= kTradedWatch)) {
    const Reason r = check_overflow(b, o.account, o.side, true, m.price, m.qty,
                                    m.price == o.price ? o.qty : 0);
    if (r != Reason::kNone) return reject(r);
  }
  if (in_place) {
    // Same price, not larger: reduce in place and keep queue priority.
    const int64_t delta = o.qty - m.qty;
    if (delta > 0) {
      levels_[li].qty -= delta;
      pool_[idx].qty = m.qty;
      log_change(m.ts, o.id, b.instrument, kChangeReduce, o.side, o.price, delta);
    }
    emit(m.ts, o.id, b.instrument, EventType::kModified, Reason::kNone, m.qty);
    return;
  }
  // New price or larger quantity: leave the queue and re-enter as a limit order.
  log_change(m.ts, o.id, b.instrument, kChangeDelete, o.side, o.price, o.qty);
  remove_order(idx);
  emit(m.ts, o.id, b.instrument, EventType::kModified, Reason::kNone, m.qty);
  bool stp_stop = false;
  const int64_t rem = match(b, m.ts, o.id, o.account, o.side, false, m.price, m.qty, &stp_stop);
  if (rem == 0) {
    emit(m.ts, o.id, b.instrument, EventType::kFilled, Reason::kNone, 0);
  } else if (stp_stop) {
    emit(m.ts, o.id, b.instrument, EventType::kCanceled, Reason::kSelfTrade, rem);
  } else {
    rest(b, o.book, m.ts, o.id, o.account, o.side, m.price, rem);
  }
}

Reason MatchingEngine::check_risk(const Book& b, int32_t acct, int8_t side, int8_t type,
                                  int64_t price, int64_t qty) {
  if (killed_accounts_ > 0) {
    const Account* a = accounts_.find(acct);
    if (a && a->killed) return Reason::kRiskKillSwitch;
  }
  if (!risk_on_) return Reason::kNone;
  const RiskLimits& lim = config_.risk;
  const bool market = type == static_cast<int8_t>(OrderType::kMarket);
  if (lim.max_order_qty >= 0 && qty > lim.max_order_qty) return Reason::kRiskMaxQty;
  if (lim.max_order_notional >= 0) {
    int64_t px = price;
    if (market) {
      const auto& opp = b.sides[1 - side_index(side)];
      px = opp.empty() ? kNoPrice : side * -opp.back().key;
    }
    if (px != kNoPrice && static_cast<double>(px) * b.tick_size * static_cast<double>(qty) *
                                  b.lot_size > lim.max_order_notional)
      return Reason::kRiskMaxNotional;
  }
  if (!market && (lim.collar_ticks >= 0 || lim.collar_fraction >= 0)) {
    bool has_ref = false;
    double ref = 0;
    if (b.last_trade != kNoPrice) {
      has_ref = true;
      ref = static_cast<double>(b.last_trade);
    } else if (!b.sides[0].empty() && !b.sides[1].empty()) {
      has_ref = true;
      ref = (static_cast<double>(b.sides[0].back().key) -
             static_cast<double>(b.sides[1].back().key)) * 0.5;
    }
    if (has_ref) {
      const double dist = std::fabs(static_cast<double>(price) - ref);
      if (lim.collar_ticks >= 0 && dist > static_cast<double>(lim.collar_ticks))
        return Reason::kRiskPriceCollar;
      if (lim.collar_fraction >= 0 && dist > lim.collar_fraction * ref)
        return Reason::kRiskPriceCollar;
    }
  }
  if (lim.max_position >= 0) {
    const int128_t next = position_wide(acct, b.instrument) + static_cast<int128_t>(side) * qty;
    if ((next < 0 ? -next : next) > lim.max_position) return Reason::kRiskMaxPosition;
  }
  if (lim.max_open_orders >= 0 && can_rest(type) && open_orders(acct) >= lim.max_open_orders)
    return Reason::kRiskMaxOpenOrders;
  return Reason::kNone;
}

Reason MatchingEngine::check_overflow(const Book& b, int32_t acct, int8_t side, bool rests,
                                      int64_t price, int64_t qty, int64_t leaving) {
  if (rests) {
    // A resting order's own level exists only where the book does not cross, so this is the
    // level it would join: nothing can trade first.
    const auto& lv = b.sides[side_index(side)];
    const int64_t key = key_of(side, price);
    const std::size_t pos = level_pos(lv, key);
    if (pos < lv.size() && lv[pos].key == key &&
        levels_[lv[pos].level].qty - leaving > kInt64Max - qty)
      return Reason::kQtyOverflow;
  }
  const int128_t next = position_wide(acct, b.instrument) + static_cast<int128_t>(side) * qty;
  if (next > kInt64Max || next < -kInt64Max) return Reason::kQtyOverflow;
  return Reason::kNone;
}

bool MatchingEngine::fok_fillable(const Book& b, int8_t side, int32_t acct, int64_t price,
                                  int64_t qty) const {
  const auto& opp = b.sides[1 - side_index(side)];
  const int64_t bound = -side * price;
  int64_t avail = 0;
  for (std::size_t i = opp.size(); i-- > 0;) {
    if (opp[i].key < bound) break;
    const Level& level = levels_[opp[i].level];
    if (config_.stp == StpMode::kNone) {
      if (level.qty >= qty - avail) return true;  // avail + level.qty could overflow
      avail += level.qty;
      continue;
    }
    for (uint32_t j = level.head; j != kNil; j = pool_[j].next) {
      const Node& n = pool_[j];
      if (n.account == acct) {
        if (config_.stp == StpMode::kCancelMaker) continue;
        return false;  // matching would stop here
      }
      if (n.qty >= qty - avail) return true;
      avail += n.qty;
    }
  }
  return false;
}

int64_t MatchingEngine::match(Book& b, int64_t ts, int64_t id, int32_t acct, int8_t side,
                              bool market, int64_t price, int64_t qty, bool* stp_stop) {
  auto& opp = b.sides[1 - side_index(side)];
  const int8_t maker_side = static_cast<int8_t>(-side);
  const int64_t bound = market ? 0 : -side * price;
  int64_t rem = qty;
  while (rem > 0 && !opp.empty()) {
    if (!market && opp.back().key < bound) break;
    const uint32_t li = opp.back().level;
    Level& level = levels_[li];
    const int64_t px = level.price;
    while (rem > 0 && level.head != kNil) {
      const uint32_t mi = level.head;
      Node& mk = pool_[mi];
      if (config_.stp != StpMode::kNone && mk.account == acct) {
        if (config_.stp == StpMode::kCancelTaker) {
          *stp_stop = true;
          break;
        }
        emit(ts, mk.id, b.instrument, EventType::kCanceled, Reason::kSelfTrade, mk.qty);
        log_change(ts, mk.id, b.instrument, kChangeDelete, maker_side, px, mk.qty);
      } else {
        const int64_t q = rem < mk.qty ? rem : mk.qty;
        trades_.push_back(Trade{ts, next_trade_id_++, px, q, mk.id, id, b.instrument,
                                mk.account, acct, side, {}});
        log_change(ts, mk.id, b.instrument, kChangeExecute, maker_side, px, q);
        b.last_trade = px;
        position_ref(acct, b.instrument) += static_cast<int128_t>(side) * q;
        position_ref(mk.account, b.instrument) -= static_cast<int128_t>(side) * q;
        traded_lots_ += q;
        rem -= q;
        mk.qty -= q;
        level.qty -= q;
        if (mk.qty > 0) break;
        emit(ts, mk.id, b.instrument, EventType::kFilled, Reason::kNone, 0);
      }
      // Pop the head (filled or self-trade cancelled).
      level.qty -= mk.qty;
      level.head = mk.next;
      if (level.head != kNil) pool_[level.head].prev = kNil; else level.tail = kNil;
      --level.count;
      index_.erase(mk.id, ids());
      release_open_order(mk.account);
      pool_.release(mi);
      if (config_.stp == StpMode::kCancelBoth && mk.account == acct) {
        *stp_stop = true;
        break;
      }
    }
    if (level.count == 0) {
      opp.pop_back();
      free_levels_.push_back(li);
    }
    if (*stp_stop) break;
  }
  return rem;
}

void MatchingEngine::rest(Book& b, int bi, int64_t ts, int64_t id, int32_t acct, int8_t side,
                          int64_t price, int64_t qty) {
  auto& lv = b.sides[side_index(side)];
  const int64_t key = key_of(side, price);
  // Adds land at or near the top: check the back before searching.
  std::size_t pos = lv.size();
  if (pos == 0 || lv[pos - 1].key != key) pos = level_pos(lv, key);
  else --pos;
  if (pos == lv.size() || lv[pos].key != key) {
    const uint32_t li = alloc_level();
    levels_[li] = Level{price, 0, kNil, kNil, 0,
                        (static_cast<uint32_t>(bi) << 1) | (side == kBuy ? 0u : 1u)};
    lv.insert(lv.begin() + static_cast<std::ptrdiff_t>(pos), LevelRef{key, li});
  }
  const uint32_t li = lv[pos].level;
  Level& level = levels_[li];
  const uint32_t idx = pool_.alloc();
  pool_[idx] = Node{id, qty, level.tail, kNil, acct, li};
  if (level.tail != kNil) pool_[level.tail].next = idx; else level.head = idx;
  level.tail = idx;
  level.qty += qty;
  ++level.count;
  index_.insert(id, idx, ids());
  ++account(acct).open_orders;
  log_change(ts, id, b.instrument, kChangeAdd, side, price, qty);
}

void MatchingEngine::remove_order(uint32_t idx) {
  Node& n = pool_[idx];
  const uint32_t li = n.level;
  Level& level = levels_[li];
  if (n.prev != kNil) pool_[n.prev].next = n.next; else level.head = n.next;
  if (n.next != kNil) pool_[n.next].prev = n.prev; else level.tail = n.prev;
  level.qty -= n.qty;
  index_.erase(n.id, ids());
  release_open_order(n.account);
  pool_.release(idx);
  if (--level.count == 0) drop_level(li);
}

void MatchingEngine::drop_level(uint32_t li) {
  const Level& level = levels_[li];
  auto& lv = books_[static_cast<std::size_t>(book_of(level))].sides[(level.book_side & 1)];
  const std::size_t pos = level_pos(lv, key_of(side_of(level), level.price));
  lv.erase(lv.begin() + static_cast<std::ptrdiff_t>(pos));
  free_levels_.push_back(li);
}

std::size_t MatchingEngine::level_pos(const std::vector<LevelRef>& lv, int64_t key) {
  // Most activity is near the top of the book (the back): a few linear steps, then bisect.
  std::size_t i = lv.size();
  for (int step = 0; step < 8 && i > 0; ++step, --i)
    if (lv[i - 1].key < key) return i;
  const auto it = std::lower_bound(lv.begin(), lv.begin() + static_cast<std::ptrdiff_t>(i), key,
                                   [](const LevelRef& l, int64_t k) { return l.key < k; });
  return static_cast<std::size_t>(it - lv.begin());
}

uint32_t MatchingEngine::alloc_level() {
  if (!free_levels_.empty()) {
    const uint32_t i = free_levels_.back();
    free_levels_.pop_back();
    return i;
  }
  if (levels_.size() >= kNil) throw std::length_error("level pool exhausted");
  levels_.push_back(Level{});
  return static_cast<uint32_t>(levels_.size() - 1);
}

}  // namespace alphafactory
