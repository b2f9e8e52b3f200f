// Fuzz harness of the matching engine's batch API (built by -DALPHAFACTORY_FUZZ=ON, run under
// ASan/UBSan by tests/engine/test_sanitized_sim.py): random messages with extreme values
// (INT64_MIN/MAX prices, quantities and ids, zero, negative, unknown types, sides and
// instruments, cancels and modifies of unknown ids), processed one at a time, checking after each
// that the book is sane and that a rejected message left it unchanged. Built a second time with
// ALPHAFACTORY_MAX_QTY = 2^62 (engine_fuzz_overflow) so that level totals and positions reach
// int64 overflow within a few orders: those orders must be rejected with QTY_OVERFLOW.
//
// usage: engine_fuzz SEED MESSAGES     exit 0: clean; 1: an invariant failed (message on stderr)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "alphafactory/matching_engine.hpp"

using namespace alphafactory;

namespace {

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

[[noreturn]] void fail(const std::string& what, std::size_t i) {
  std::fprintf(stderr, "engine_fuzz: message %zu: %s\n", i, what.c_str());
  std::exit(1);
}

struct Gen {
  std::mt19937_64 rng;
  std::vector<int64_t> ids;  // ids seen, so cancels and modifies often hit live orders

  int64_t pick(const std::vector<int64_t>& v) { return v[rng() % v.size()]; }
  int64_t price() {
    switch (rng() % 8) {
      case 0: return pick({kI64Min, kI64Max, 0, -1, 1, kMaxPrice, kMaxPrice + 1, -kMaxPrice});
      default: return 990 + static_cast<int64_t>(rng() % 21);
    }
  }
  int64_t qty() {
    switch (rng() % 6) {
      case 0: return pick({kI64Min, kI64Max, 0, -1, 1, kMaxQty, kMaxQty + 1, kMaxQty / 2 + 1});
      case 1: return kMaxQty - static_cast<int64_t>(rng() % 3);  // sums near the limit
      default: return 1 + static_cast<int64_t>(rng() % 50);
    }
  }
  int64_t id() {
    if (!ids.empty() && rng() % 3 == 0) return ids[rng() % ids.size()];
    switch (rng() % 10) {
      case 0: return pick({kI64Min, kI64Max, -1, 0, int64_t{1} << 24, (int64_t{1} << 24) - 1});
      case 1: return static_cast<int64_t>(rng());
      default: return static_cast<int64_t>(rng() % 4000);
    }
  }
  OrderMsg next(int64_t ts) {
    OrderMsg m{};
    m.ts = rng() % 50 == 0 ? pick({kI64Min, kI64Max}) : ts;
    m.order_id = id();
    ids.push_back(m.order_id);
    if (ids.size() > 512) ids.erase(ids.begin(), ids.begin() + 256);
    m.account = rng() % 20 == 0 ? static_cast<int32_t>(pick({INT32_MIN, INT32_MAX, -1}))
                                : static_cast<int32_t>(rng() % 4);
    m.instrument = rng() % 20 == 0 ? static_cast<int32_t>(pick({INT32_MIN, INT32_MAX, -1, 7}))
                                   : static_cast<int32_t>(rng() % 2);
    m.side = rng() % 25 == 0 ? static_cast<int8_t>(pick({0, 2, -128, 127})) : (rng() % 2 ? 1 : -1);
    m.type = rng() % 25 == 0 ? static_cast<int8_t>(pick({0, 8, -1, 127, -128}))
                             : static_cast<int8_t>(1 + rng() % 7);
    m.price = price();
    m.qty = qty();
    return m;
  }
};

void check_book(const MatchingEngine& e, std::size_t i) {
  std::size_t orders = 0;
  for (int32_t inst : e.instruments()) {
    for (int8_t side : {kBuy, kSell}) {
      const auto lv = e.depth(inst, side, static_cast<std::size_t>(-1));
      for (std::size_t k = 0; k < lv.size(); ++k) {
        if (lv[k].qty <= 0) fail("level quantity " + std::to_string(lv[k].qty) + " <= 0", i);
        if (lv[k].count <= 0) fail("empty level", i);
        if (lv[k].price <= 0 || lv[k].price > kMaxPrice) fail("level price out of range", i);
        if (lv[k].count <= kI64Max / kMaxQty && lv[k].qty > lv[k].count * kMaxQty)
          fail("level quantity above count * kMaxQty", i);
        if (k > 0 && (side == kBuy ? lv[k].price >= lv[k - 1].price
                                   : lv[k].price <= lv[k - 1].price))
          fail("levels out of order", i);
        orders += static_cast<std::size_t>(lv[k].count);
      }
    }
    const int64_t bid = e.best_bid(inst), ask = e.best_ask(inst);
    if (bid != kNoPrice && ask != kNoPrice && bid >= ask) fail("crossed book", i);
  }
  if (orders != e.resting_orders()) fail("level counts differ from resting orders", i);
}

int run_random(uint64_t seed, std::size_t n) {
  for (int stp = 0; stp < 4; ++stp) {
    EngineConfig c;
    c.stp = static_cast<StpMode>(stp);
    if (stp == 2) {  // one run with every risk check on
      c.risk.max_order_qty = kMaxQty / 2;
      c.risk.max_order_notional = 1e30;
      c.risk.max_position = kI64Max / 2;
      c.risk.max_open_orders = 1000;
      c.risk.collar_ticks = 15;
      c.risk.collar_fraction = 0.5;
    }
    MatchingEngine e(c);
    e.add_instrument(1, 0.05, 10.0);
    Gen g{std::mt19937_64(seed * 4 + static_cast<uint64_t>(stp)), {}};
    for (std::size_t i = 0; i < n; ++i) {
      const OrderMsg m = g.next(static_cast<int64_t>(i));
      const uint64_t before = e.l2_hash();
      const std::size_t resting = e.resting_orders();
      e.clear_output();
      e.process(&m, 1);
      const auto& ev = e.events();
      if (ev.empty()) {
        if (c.emit_accepted && m.type != static_cast<int8_t>(OrderType::kCancel))
          fail("no event for a message", i);
      } else if (ev.size() == 1 && ev[0].event == static_cast<int8_t>(EventType::kRejected)) {
        if (e.l2_hash() != before || e.resting_orders() != resting || !e.trades().empty())
          fail("a rejected message changed the book", i);
      }
      for (const Trade& t : e.trades())
        if (t.qty <= 0 || t.price <= 0) fail("trade with a non-positive price or quantity", i);
      if (i % 64 == 0 || i + 1 == n) check_book(e, i);
      if (i % 997 == 0) {
        for (int32_t a : {0, 1, 2, 3, INT32_MIN, INT32_MAX})
          try {
            (void)e.position(a, 0);
          } catch (const std::overflow_error&) {  // reported, never wrapped
          }
      }
    }
  }
  return 0;
}

// One message through `e`; returns its last event.
Event send(MatchingEngine& e, int64_t id, int32_t acct, int8_t side, OrderType type, int64_t price,
           int64_t qty) {
  OrderMsg m{};
  m.order_id = id;
  m.account = acct;
  m.side = side;
  m.type = static_cast<int8_t>(type);
  m.price = price;
  m.qty = qty;
  e.clear_output();
  e.process(&m, 1);
  return e.events().back();
}

bool overflow_reject(const Event& ev) {
  return ev.event == static_cast<int8_t>(EventType::kRejected) &&
         ev.reason == static_cast<int8_t>(Reason::kQtyOverflow);
}

// The overflow build: kMaxQty = 2^62, so two resting orders fill a level's int64 total.
void run_overflow() {
  if (kMaxQty != (int64_t{1} << 62)) return;
  MatchingEngine e;
  send(e, 1, 1, kBuy, OrderType::kLimit, 100, kMaxQty);
  const uint64_t h = e.l2_hash();
  if (!overflow_reject(send(e, 2, 2, kBuy, OrderType::kLimit, 100, kMaxQty))) fail("level", 2);
  if (e.l2_hash() != h || e.depth(0, kBuy, 1)[0].qty != kMaxQty) fail("level changed", 2);
  send(e, 3, 2, kBuy, OrderType::kLimit, 100, kMaxQty - 1);  // fits exactly: 2^63 - 1
  if (e.depth(0, kBuy, 1)[0].qty != kI64Max) fail("level total", 3);
  // Growing order 3 at its price: it leaves first, then 2^62 more would not fit.
  if (!overflow_reject(send(e, 3, 0, kBuy, OrderType::kModify, 100, kMaxQty))) fail("modify", 3);
  if (e.depth(0, kBuy, 1)[0].qty != kI64Max) fail("modify changed the level", 3);
  // Positions: account 5 buys 2^62; another 2^62 would reach 2^63.
  MatchingEngine p;
  send(p, 10, 6, kSell, OrderType::kLimit, 100, kMaxQty);
  send(p, 11, 5, kBuy, OrderType::kMarket, 0, kMaxQty);
  if (p.position(5, 0) != kMaxQty) fail("position", 11);
  send(p, 12, 7, kSell, OrderType::kLimit, 100, kMaxQty);
  if (!overflow_reject(send(p, 13, 5, kBuy, OrderType::kMarket, 0, kMaxQty))) fail("taker", 13);
  if (!overflow_reject(send(p, 14, 6, kSell, OrderType::kLimit, 101, kMaxQty))) fail("maker", 14);
  if (p.position(5, 0) != kMaxQty || p.position(6, 0) != -kMaxQty) fail("positions moved", 14);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: engine_fuzz SEED MESSAGES\n");
    return 2;
  }
  const uint64_t seed = std::strtoull(argv[1], nullptr, 10);
  const std::size_t n = std::strtoull(argv[2], nullptr, 10);
  run_overflow();
  run_random(seed, n);
  std::printf("engine_fuzz: %zu messages x 4 configurations clean (max qty %lld)\n", n,
              static_cast<long long>(kMaxQty));
  return 0;
}
