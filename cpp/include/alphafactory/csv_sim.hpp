#pragma once
// The CSV simulator: orders CSV in, trades and events CSVs out, byte-stable.
//
// Orders: header `ts,instrument,order_id,account,side,type,price,qty`; side B|S; type LIMIT,
// MARKET, IOC, FOK, POST_ONLY, CANCEL, MODIFY; price a decimal on the tick grid (ignored for
// MARKET and CANCEL), qty an integer number of lots (ignored for CANCEL). Prices are parsed as
// exact decimals: a price within 1e-9 (relative) of a tick is that tick, anything else is a bad
// row. A bad row is reported as `path:line: message` and skipped, or ends the run when strict.
#include <cstdint>
#include <string>
#include <vector>

#include "alphafactory/records.hpp"

namespace alphafactory {

struct SimOptions {
  std::string tick_size = "0.01";  // decimal text, kept exact for output formatting
  bool strict = false;
  StpMode stp = StpMode::kNone;
  bool emit_accepted = true;
  bool overwrite = false;  // replace existing output files (`--force`)
};

struct SimResult {
  int64_t rows = 0;       // data rows read (bad ones included)
  int64_t orders = 0;     // rows processed
  int64_t trades = 0;
  int64_t events = 0;
  std::vector<std::string> errors;  // one per bad row, `path:line: message`
  bool aborted = false;   // strict mode stopped at a bad row; no output was written
};

// Runs the simulation. Before any work, refuses (std::invalid_argument) a bad tick size, an
// output that is a directory, the orders file, the other output, or an existing file without
// `overwrite`. Throws std::runtime_error for an orders file that is missing, unreadable, a
// directory, empty (0 bytes) or without the header; a header-only file is a valid empty run.
// Outputs are written to temporaries and renamed at the end: an error writes nothing. Bad rows
// never throw.
SimResult simulate_csv(const std::string& orders_path, const std::string& trades_path,
                       const std::string& events_path, const SimOptions& options);

const char* event_name(int8_t event);
const char* reason_name(int8_t reason);

}  // namespace alphafactory
