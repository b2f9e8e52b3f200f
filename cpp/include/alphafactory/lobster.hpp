#pragma once
// Replay of LOBSTER message files into an aggregated book, in LOBSTER's orderbook-file layout.
//
// Messages: 1 submit, 2 partial cancel, 3 delete, 4 visible execution, 5 hidden execution,
// 6 cross trade, 7 halt (5-7 leave the book unchanged); prices x10000 as integers; direction
// +1 buy (bid side), -1 sell. An order the replay has not seen (it rested before the file
// starts) is known only by its level: cancels, deletes and executions of it reduce the level
// at its price by the message size (never below zero).
#include <cstddef>
#include <cstdint>

namespace alphafactory {

constexpr int64_t kLobsterEmptyAsk = 9999999999LL;
constexpr int64_t kLobsterEmptyBid = -9999999999LL;

// Replays messages and writes one row per message into out[i * 4 * levels ...] (ask price,
// ask size, bid price, bid size per level; dummies for empty levels): the book the messages
// produce. When `reference` (the orderbook file, n rows of 4 * levels) is given, the book
// starts from its first row (row 0 is copied, message 0 is not replayed) and, after each row
// is written, its top levels are set to the reference row: liquidity a level-N file never
// announced (it was deeper than N) is taken from the file instead of drifting further, and the
// written rows show where the messages alone did not determine the book.
void replay_lobster(const int64_t* type, const int64_t* order_id, const int64_t* size,
                    const int64_t* price, const int64_t* direction, std::size_t n, int levels,
                    const int64_t* reference, int64_t* out);

}  // namespace alphafactory
