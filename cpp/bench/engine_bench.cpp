// C++ harness of bench/bench_engine.py: throughput of MatchingEngine::process on the benchmark
// workload (median of runs), per-message latency percentiles by type, throughput and bytes per
// resting order at several book sizes. Prints `key value` lines that the Python script reads.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "alphafactory/matching_engine.hpp"
#include "alphafactory/workload.hpp"

using namespace alphafactory;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

EngineConfig default_config() { return EngineConfig{}; }

// Rests `n` orders of account 1, 2,000 to 4,000 ticks away from the workload's prices.
void prefill(MatchingEngine& e, std::size_t n, int64_t mid) {
  std::vector<OrderMsg> msgs(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int8_t side = (i % 2) ? kBuy : kSell;
    const int64_t d = 2000 + static_cast<int64_t>((i / 2) % 2000);
    msgs[i] = OrderMsg{0, static_cast<int64_t>(i) + (int64_t{1} << 40),
                       side == kBuy ? mid - d : mid + d, 1, 1, 0, side,
                       static_cast<int8_t>(OrderType::kLimit), {}};
  }
  e.process(msgs.data(), msgs.size());
  e.clear_output();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 7;
  WorkloadParams wp;
  wp.n = n;
  wp.seed = 1;
  const std::vector<OrderMsg> msgs = benchmark_workload(wp);

  // Throughput, default settings, engine outputs reused across runs (as the batch API does).
  std::vector<double> rates;
  MatchingEngine e(default_config());
  e.process(msgs.data(), msgs.size());  // warm the buffers' capacity
  for (int r = 0; r < runs; ++r) {
    e.reset();
    const auto t0 = Clock::now();
    e.process(msgs.data(), msgs.size());
    rates.push_back(static_cast<double>(n) / seconds_since(t0));
  }
  std::sort(rates.begin(), rates.end());
  std::printf("throughput_median %.0f\n", rates[rates.size() / 2]);
  std::printf("throughput_best %.0f\n", rates.back());
  if (argc > 3) return 0;  // throughput only (profiling)

  // Latency per message type (timer overhead subtracted).
  {
    MatchingEngine e(default_config());
    std::vector<std::vector<float>> lat(8);
    const auto c0 = Clock::now();
    for (int i = 0; i < 100000; ++i) (void)Clock::now();
    const double overhead = seconds_since(c0) / 100000 * 1e9;
    for (const OrderMsg& m : msgs) {
      if (e.events().size() > 4096) e.clear_output();
      const auto t0 = Clock::now();
      e.process_one(m);
      const auto t1 = Clock::now();
      lat[static_cast<std::size_t>(m.type)].push_back(
          static_cast<float>(std::chrono::duration<double, std::nano>(t1 - t0).count() - overhead));
    }
    const char* names[] = {"", "LIMIT", "MARKET", "IOC", "FOK", "POST_ONLY", "CANCEL", "MODIFY"};
    for (std::size_t t = 1; t < 8; ++t) {
      auto& v = lat[t];
      if (v.empty()) continue;
      std::sort(v.begin(), v.end());
      std::printf("latency %s %zu %.0f %.0f %.0f\n", names[t], v.size(), v[v.size() / 2],
                  v[v.size() * 99 / 100], v[v.size() * 999 / 1000]);
    }
  }

  // Book size: prefilled resting orders far from the action, then the workload.
  for (std::size_t size : {std::size_t{1000}, std::size_t{100000}, std::size_t{10000000}}) {
    std::vector<double> r2;
    std::size_t bytes = 0, resting = 0;
    {
      MatchingEngine fresh(default_config());
      prefill(fresh, size, wp.initial_price);
      bytes = fresh.memory_bytes();
      resting = fresh.resting_orders();
    }
    MatchingEngine e(default_config());
    prefill(e, size, wp.initial_price);
    e.process(msgs.data(), msgs.size());  // warm every buffer once, then reset and refill
    for (int r = 0; r < 3; ++r) {
      e.reset();
      prefill(e, size, wp.initial_price);
      const auto t0 = Clock::now();
      e.process(msgs.data(), msgs.size());
      r2.push_back(static_cast<double>(n) / seconds_since(t0));
    }
    std::sort(r2.begin(), r2.end());
    std::printf("book_size %zu %.0f %.1f\n", size, r2[1],
                static_cast<double>(bytes) / static_cast<double>(resting));
  }
  return 0;
}
