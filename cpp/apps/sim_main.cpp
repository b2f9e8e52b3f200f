// alphafactory-sim: run the matching engine over an orders CSV, write trades and events CSVs.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "alphafactory/csv_sim.hpp"
#include "alphafactory/version.hpp"

namespace {

const char* kUsage =
    "usage: alphafactory-sim --orders ORDERS.csv --trades TRADES.csv --events EVENTS.csv\n"
    "                        [--tick-size 0.01] [--stp none|cancel_taker|cancel_maker|cancel_both]\n"
    "                        [--no-accepted] [--strict] [--force]\n"
    "Bad rows are reported as FILE:LINE: message and skipped; --strict stops at the first one\n"
    "(exit 1, no output written). A header-only orders file is a valid empty run (header-only\n"
    "outputs); a missing, empty (0-byte) or directory --orders is an error. --trades and --events\n"
    "must differ from --orders and from each other, and an existing one is replaced only with\n"
    "--force. Outputs appear only when the run succeeds. Exit 2 on usage or I/O errors, with\n"
    "one line: alphafactory-sim: error: MESSAGE.\n";

// One line on stderr, whatever went wrong: the usage text is for --help.
int fail(const std::string& msg) {
  std::fprintf(stderr, "alphafactory-sim: error: %s\n", msg.c_str());
  return 2;
}

int usage_error(const std::string& msg) { return fail(msg + " (see --help)"); }

}  // namespace

int main(int argc, char** argv) {
  std::string orders, trades, events;
  alphafactory::SimOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string stp;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("alphafactory-sim %s\n", alphafactory::engine_version());
      return 0;
    } else if (arg == "--orders") {
      if (!value(&orders)) return usage_error("--orders needs a path");
    } else if (arg == "--trades") {
      if (!value(&trades)) return usage_error("--trades needs a path");
    } else if (arg == "--events") {
      if (!value(&events)) return usage_error("--events needs a path");
    } else if (arg == "--tick-size") {
      if (!value(&options.tick_size)) return usage_error("--tick-size needs a value");
    } else if (arg == "--stp") {
      if (!value(&stp)) return usage_error("--stp needs a mode");
      if (stp == "none") options.stp = alphafactory::StpMode::kNone;
      else if (stp == "cancel_taker") options.stp = alphafactory::StpMode::kCancelTaker;
      else if (stp == "cancel_maker") options.stp = alphafactory::StpMode::kCancelMaker;
      else if (stp == "cancel_both") options.stp = alphafactory::StpMode::kCancelBoth;
      else return usage_error("unknown --stp mode '" + stp + "'");
    } else if (arg == "--strict") {
      options.strict = true;
    } else if (arg == "--no-accepted") {
      options.emit_accepted = false;
    } else if (arg == "--force") {
      options.overwrite = true;
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }
  if (orders.empty() || trades.empty() || events.empty())
    return usage_error("--orders, --trades and --events are required");
  try {
    const alphafactory::SimResult r =
        alphafactory::simulate_csv(orders, trades, events, options);
    if (r.aborted) {  // one line: the bad row that stopped it
      std::fprintf(stderr, "alphafactory-sim: error: bad row (strict mode, nothing written): %s\n",
                   r.errors.back().c_str());
      return 1;
    }
    for (const std::string& e : r.errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "alphafactory-sim: %lld rows, %lld processed, %zu bad, %lld trades, "
                 "%lld events\n", static_cast<long long>(r.rows),
                 static_cast<long long>(r.orders), r.errors.size(),
                 static_cast<long long>(r.trades), static_cast<long long>(r.events));
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
