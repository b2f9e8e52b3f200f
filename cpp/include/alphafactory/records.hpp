#pragma once
// Plain records moved through the batch API. Each is mirrored by a numpy structured dtype built
// from the offsets reported by the bindings (one source of truth for the layout).
#include <cstdint>
#include <limits>

namespace alphafactory {

enum class OrderType : int8_t {
  kLimit = 1,
  kMarket = 2,
  kIoc = 3,
  kFok = 4,
  kPostOnly = 5,
  kCancel = 6,
  kModify = 7,
};

enum class EventType : int8_t {
  kAccepted = 1,
  kRejected = 2,
  kCanceled = 3,
  kModified = 4,
  kFilled = 5,
};

// Why an order was rejected or cancelled. Rejections: 1..19 (17 also cancels); cancellation
// causes: 20..
enum class Reason : int8_t {
  kNone = 0,
  kDuplicateId = 1,
  kNonPositiveQty = 2,
  kNonPositivePrice = 3,
  kUnknownId = 4,
  kInvalidSide = 5,
  kInvalidType = 6,
  kUnknownInstrument = 7,
  kQtyOutOfRange = 8,
  kPriceOutOfRange = 9,
  kWouldCross = 10,
  kRiskMaxQty = 11,
  kRiskMaxNotional = 12,
  kRiskMaxPosition = 13,
  kRiskMaxOpenOrders = 14,
  kRiskPriceCollar = 15,
  kRiskKillSwitch = 16,
  kSelfTrade = 17,
  // The order would take its price level's total quantity, or its account's position, beyond
  // int64 lots. Checked exactly once enough is resting or has traded for it to be possible.
  kQtyOverflow = 18,
  kUser = 20,
  kIocRemainder = 21,
  kMarketNoLiquidity = 22,
  kFokUnfilled = 23,
};

enum class StpMode : int8_t { kNone = 0, kCancelTaker = 1, kCancelMaker = 2, kCancelBoth = 3 };

constexpr int8_t kBuy = 1;
constexpr int8_t kSell = -1;

// Sentinel for "no price" (an empty side, no last trade). Never a valid price: prices are > 0.
constexpr int64_t kNoPrice = std::numeric_limits<int64_t>::min();
// Input bounds: larger values are rejected (kQtyOutOfRange / kPriceOutOfRange) so that one order's
// price * quantity stays far from int64 overflow; sums of quantities (a level's total, a
// position) are checked apart (kQtyOverflow). ALPHAFACTORY_MAX_QTY overrides the quantity bound
// in the fuzz harness only, so that overflow is reachable with a handful of orders.
#ifdef ALPHAFACTORY_MAX_QTY
constexpr int64_t kMaxQty = ALPHAFACTORY_MAX_QTY;
#else
constexpr int64_t kMaxQty = 1'000'000'000'000LL;      // 1e12 lots
#endif
constexpr int64_t kMaxPrice = 1'000'000'000'000'000LL;  // 1e15 ticks

// Records carry explicit zeroed padding (`reserved`) so that their bytes, and so every output
// file and array, are deterministic.

// One input message (48 bytes). side: +1 buy, -1 sell. price in ticks, qty in lots.
struct OrderMsg {
  int64_t ts;
  int64_t order_id;
  int64_t price;
  int64_t qty;
  int32_t account;
  int32_t instrument;
  int8_t side;
  int8_t type;
  int8_t reserved[6];
};

// One trade (64 bytes, one cache line). Prints at the maker's price.
struct Trade {
  int64_t ts;
  int64_t trade_id;
  int64_t price;
  int64_t qty;
  int64_t maker_order_id;
  int64_t taker_order_id;
  int32_t instrument;
  int32_t maker_account;
  int32_t taker_account;
  int8_t aggressor_side;
  int8_t reserved[3];
};

// One order event (32 bytes). remaining_qty: open quantity after the event, or for CANCELED and
// REJECTED the quantity that was cancelled or refused.
struct Event {
  int64_t ts;
  int64_t order_id;
  int64_t remaining_qty;
  int32_t instrument;
  int8_t event;
  int8_t reason;
  int8_t reserved[2];
};

// A change of resting liquidity, in LOBSTER's message vocabulary (1 add, 2 partial cancel,
// 3 delete, 4 execution of a resting order). side is the resting order's side.
struct BookChange {
  int64_t ts;
  int64_t order_id;
  int64_t qty;
  int64_t price;
  int32_t instrument;
  int8_t type;
  int8_t side;
  int8_t reserved[2];
};

static_assert(sizeof(OrderMsg) == 48, "OrderMsg layout");
static_assert(sizeof(Trade) == 64, "Trade layout");
static_assert(sizeof(Event) == 32, "Event layout");
static_assert(sizeof(BookChange) == 40, "BookChange layout");

}  // namespace alphafactory
