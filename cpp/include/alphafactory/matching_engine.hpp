#pragma once
// Multi-instrument price-time matching engine on integer ticks and lots.
//
// Layout: per instrument and side, a vector of price levels sorted by a side-aware key
// (bid: price, ask: -price) with the best level at the back, so the hot end of the book is
// touched by push_back/pop_back and near-top inserts move a few 32-byte levels. Each level
// holds an intrusive FIFO (doubly linked through uint32 indices) of pooled order nodes; an
// open-addressing id index makes cancel by id O(1) for the order plus a short search for its
// level (a few steps from the top, binary search below). Outputs are appended to reused arrays
// of plain records (record_buffer.hpp: their storage can be handed to the caller without a copy);
// nothing calls back into the caller.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "alphafactory/flat_map.hpp"
#include "alphafactory/order_index.hpp"
#include "alphafactory/record_buffer.hpp"
#include "alphafactory/records.hpp"
#include "alphafactory/risk.hpp"

namespace alphafactory {

__extension__ typedef __int128 int128_t;

struct EngineConfig {
  double tick_size = 0.01;  // of instrument 0
  double lot_size = 1.0;    // of instrument 0
  StpMode stp = StpMode::kNone;
  RiskLimits risk{};
  bool emit_accepted = true;
  bool log_book_changes = false;  // fill book_changes() (LOBSTER export)
};

struct LevelInfo {
  int64_t price;
  int64_t qty;
  int64_t count;
};

struct OrderInfo {
  int64_t order_id;
  int64_t price;
  int64_t qty;
  int32_t account;
  int32_t instrument;
  int8_t side;
};

class MatchingEngine {
 public:
  explicit MatchingEngine(const EngineConfig& config = EngineConfig{});

  // Adds an instrument; throws std::invalid_argument if it exists or sizes are not > 0.
  void add_instrument(int32_t instrument, double tick_size, double lot_size);
  bool has_instrument(int32_t instrument) const;

  // Processes messages in order, appending to trades() and events().
  void process(const OrderMsg* msgs, std::size_t n);
  void process_one(const OrderMsg& msg);

  const RecordBuffer<Trade>& trades() const { return trades_; }
  const RecordBuffer<Event>& events() const { return events_; }
  // The output buffers themselves, so that their storage can be handed over without a copy
  // (RecordBuffer::take); the engine gets fresh (pooled) storage on its next call.
  RecordBuffer<Trade>& trade_buffer() { return trades_; }
  RecordBuffer<Event>& event_buffer() { return events_; }
  const std::vector<BookChange>& book_changes() const { return changes_; }
  void clear_output() {
    trades_.clear();
    events_.clear();
    changes_.clear();
  }
  // Empties every book, position and output but keeps instruments, settings and the capacity
  // of all buffers, so a reused engine allocates nothing.
  void reset();

  // Queries (instrument must exist, else std::invalid_argument). kNoPrice for an empty side.
  int64_t best_bid(int32_t instrument) const;
  int64_t best_ask(int32_t instrument) const;
  int64_t last_trade_price(int32_t instrument) const;
  // Up to n levels of one side, best first.
  std::vector<LevelInfo> depth(int32_t instrument, int8_t side, std::size_t n) const;
  bool lookup(int64_t order_id, OrderInfo* out) const;
  bool is_live(int64_t order_id) const { return find_order(order_id) != OrderIndex::kAbsent; }
  // FNV-style hash of every level (instrument, side, price, qty) in a canonical order.
  uint64_t l2_hash() const;
  // Net filled lots; std::overflow_error if beyond int64 (positions are kept in 128 bits, and a
  // taker order that would push its own position past int64 is rejected, but a maker's can
  // still get there: an error, never a wrapped number).
  int64_t position(int32_t account, int32_t instrument) const;
  int64_t open_orders(int32_t account) const;
  void set_kill_switch(int32_t account, bool on);
  std::size_t resting_orders() const { return index_.size(); }
  std::size_t memory_bytes() const;
  double tick_size(int32_t instrument) const { return book_at(instrument).tick_size; }
  double lot_size(int32_t instrument) const { return book_at(instrument).lot_size; }
  std::vector<int32_t> instruments() const;

 private:
  static constexpr uint32_t kNil = 0xFFFFFFFFu;

  // 32 bytes: the price, instrument and side are the level's (a resting order never moves
  // between levels), so a node is half a cache line.
  struct Node {
    int64_t id;
    int64_t qty;
    uint32_t prev;
    uint32_t next;  // also the free list's link
    int32_t account;
    uint32_t level;  // slot in levels_
  };
  // 32 bytes; a level keeps its slot while it lives, so an order finds it in O(1).
  struct Level {
    int64_t price;
    int64_t qty;
    uint32_t head;
    uint32_t tail;
    uint32_t count;
    uint32_t book_side;  // book index << 1 | 1 for asks
  };
  // A side's levels in key order (bid: price, ask: -price; ascending, best at the back).
  struct LevelRef {
    int64_t key;
    uint32_t level;
  };
  struct Book {
    int32_t instrument;
    double tick_size;
    double lot_size;
    std::vector<LevelRef> sides[2];  // 0 bids, 1 asks
    int64_t last_trade = kNoPrice;
  };
  // Nodes in fixed chunks: no 2x capacity overshoot at 10^7 orders, no copy on growth.
  class NodePool {
   public:
    static constexpr unsigned kShift = 12;
    static constexpr uint32_t kChunk = uint32_t{1} << kShift;
    Node& operator[](uint32_t i) { return chunks_[i >> kShift][i & (kChunk - 1)]; }
    const Node& operator[](uint32_t i) const { return chunks_[i >> kShift][i & (kChunk - 1)]; }
    uint32_t size() const { return used_; }  // slots ever handed out since clear()
    uint32_t alloc() {
      if (free_ != kNil) {
        const uint32_t i = free_;
        free_ = (*this)[i].next;
        return i;
      }
      if (used_ == kNil) throw std::length_error("order pool exhausted (2^32 - 1 orders)");
      if ((used_ >> kShift) == chunks_.size()) chunks_.emplace_back(kChunk);
      return used_++;
    }
    void release(uint32_t i) {
      (*this)[i].next = free_;
      free_ = i;
    }
    void clear() {
      used_ = 0;
      free_ = kNil;
    }
    std::size_t memory_bytes() const {
      return chunks_.size() * std::size_t{kChunk} * sizeof(Node) +
             chunks_.capacity() * sizeof(std::vector<Node>);
    }

   private:
    std::vector<std::vector<Node>> chunks_;
    uint32_t used_ = 0;
    uint32_t free_ = kNil;
  };
  // The id index's view of the pool (slot -> id), made per call so it never dangles.
  struct NodeIds {
    const NodePool* pool;
    int64_t operator()(uint32_t slot) const { return (*pool)[slot].id; }
  };
  struct Account {
    int64_t open_orders = 0;
    bool killed = false;
  };

  static int side_index(int8_t side) { return side == kBuy ? 0 : 1; }
  static int8_t side_of(const Level& l) { return (l.book_side & 1) ? kSell : kBuy; }
  static int book_of(const Level& l) { return static_cast<int>(l.book_side >> 1); }
  NodeIds ids() const { return NodeIds{&pool_}; }
  uint32_t find_order(int64_t id) const { return index_.find(id, ids()); }
  static int64_t key_of(int8_t side, int64_t price) { return side == kBuy ? price : -price; }

  int find_book(int32_t instrument) const {
    if (instrument == cached_instrument_) return cached_book_;
    const int32_t* i = book_index_.find(instrument);
    if (!i) return -1;
    cached_instrument_ = instrument;
    cached_book_ = *i;
    return *i;
  }
  const Book& book_at(int32_t instrument) const;

  void handle_new(const OrderMsg& m);
  void handle_cancel(const OrderMsg& m);
  void handle_modify(const OrderMsg& m);
  Reason check_risk(const Book& b, int32_t account, int8_t side, int8_t type, int64_t price,
                    int64_t qty);
  // kQtyOverflow when resting `qty` at `price` would take that level's total past int64, the
  // level at that price holding `leaving` lots that go first (a MODIFY's own quantity), or when
  // filling `qty` would take the account's position past int64; else kNone. Cheap while too
  // little rests and has traded for either to be possible (the usual case: two compares).
  Reason check_overflow(const Book& b, int32_t account, int8_t side, bool rests, int64_t price,
                        int64_t qty, int64_t leaving);
  int128_t position_wide(int32_t account, int32_t instrument) const;
  bool fok_fillable(const Book& b, int8_t side, int32_t account, int64_t price, int64_t qty) const;
  // Matches an aggressor; returns the unfilled quantity; *stp_stop is set if STP ended matching.
  int64_t match(Book& b, int64_t ts, int64_t id, int32_t account, int8_t side, bool market,
                int64_t price, int64_t qty, bool* stp_stop);
  void rest(Book& b, int bi, int64_t ts, int64_t id, int32_t account, int8_t side, int64_t price,
            int64_t qty);
  // Unlinks a resting order from its level (erasing an emptied level) and frees it.
  void remove_order(uint32_t idx);
  // Drops an emptied level from its side's sorted list and frees its slot.
  void drop_level(uint32_t li);
  static std::size_t level_pos(const std::vector<LevelRef>& lv, int64_t key);
  uint32_t alloc_level();

  void emit(int64_t ts, int64_t id, int32_t instrument, EventType e, Reason r, int64_t rem) {
    events_.push_back(Event{ts, id, rem, instrument, static_cast<int8_t>(e),
                            static_cast<int8_t>(r), {}});
  }
  void log_change(int64_t ts, int64_t id, int32_t instrument, int8_t type, int8_t side,
                  int64_t price, int64_t qty) {
    if (config_.log_book_changes)
      changes_.push_back(BookChange{ts, id, qty, price, instrument, type, side, {}});
  }
  // One-entry cache in front of the account map: most messages in a row share an account.
  // The cached pointer is refreshed after every insert (the only thing that moves slots).
  Account& account(int32_t a) {
    if (a == cached_account_id_ && cached_account_) return *cached_account_;
    Account* acc = &accounts_.get_or_insert(a, Account{});
    cached_account_id_ = a;
    cached_account_ = acc;
    return *acc;
  }
  void release_open_order(int32_t a) {
    if (a == cached_account_id_ && cached_account_) {
      --cached_account_->open_orders;
    } else if (Account* acc = accounts_.find(a)) {
      --acc->open_orders;
    }
  }
  static int64_t position_key(int32_t account, int32_t instrument) {
    return static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(account)) << 32) |
                                static_cast<uint32_t>(instrument));
  }
  // Two-entry cache in front of the position map (a trade touches the taker's and the maker's):
  // an insert may move every slot, so it empties the cache.
  int128_t& position_ref(int32_t account, int32_t instrument) {
    const int64_t key = position_key(account, instrument);
    if (pos_cache_[0].ptr && pos_cache_[0].key == key) return *pos_cache_[0].ptr;
    if (pos_cache_[1].ptr && pos_cache_[1].key == key) return *pos_cache_[1].ptr;
    int128_t* p = positions_.find(key);
    if (!p) {
      positions_.insert(key, 0);
      p = positions_.find(key);
      pos_cache_[0] = pos_cache_[1] = PositionSlot{};
    }
    pos_cache_[1] = pos_cache_[0];
    pos_cache_[0] = PositionSlot{key, p};
    return *p;
  }

  EngineConfig config_;
  bool risk_on_ = false;
  int64_t killed_accounts_ = 0;
  std::vector<Book> books_;
  mutable int32_t cached_instrument_ = -1;
  mutable int cached_book_ = -1;
  int32_t cached_account_id_ = 0;
  Account* cached_account_ = nullptr;
  FlatMap<int32_t> book_index_;
  NodePool pool_;
  std::vector<Level> levels_;
  std::vector<uint32_t> free_levels_;
  OrderIndex index_;
  FlatMap<Account> accounts_;
  FlatMap<int128_t> positions_;
  struct PositionSlot {
    int64_t key = 0;
    int128_t* ptr = nullptr;
  };
  PositionSlot pos_cache_[2];
  // Lots traded since the last reset: while below kMaxInt64 - kMaxQty no position can overflow.
  int128_t traded_lots_ = 0;
  int64_t next_trade_id_ = 1;
  RecordBuffer<Trade> trades_;
  RecordBuffer<Event> events_;
  std::vector<BookChange> changes_;
};

}  // namespace alphafactory
