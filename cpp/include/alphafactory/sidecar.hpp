#pragma once
// One long-lived helper thread that runs a short task beside the calling thread (the NaN screen
// of a long series while TA-Lib computes on it). A thread started per call costs more than the
// screen itself on a virtual machine (~70 us to create, ~100 us more before it runs); this one
// starts once, on first use, and again in a forked child. A caller that finds it busy, or a
// machine with one core, gets no ticket and runs its task itself.
#include <cstdint>
#include <functional>

namespace alphafactory {

class Sidecar {
 public:
  using Ticket = std::uint64_t;  // 0: the task was not taken

  // The process-wide helper.
  static Sidecar& shared();

  // Hand `task` to the helper thread; returns its ticket, or 0 when the helper is busy.
  Ticket start(std::function<void()> task);

  // Block until the task of `ticket` has finished (returns at once for ticket 0).
  void join(Ticket ticket);

 private:
  struct State;
  State* state();
};

// Joins a ticket when it goes out of scope, so a task never outlives the data it reads, even
// when the caller throws.
class SidecarTask {
 public:
  SidecarTask(Sidecar& sidecar, std::function<void()> task)
      : sidecar_(sidecar), ticket_(sidecar.start(std::move(task))) {}
  ~SidecarTask() { join(); }
  SidecarTask(const SidecarTask&) = delete;
  SidecarTask& operator=(const SidecarTask&) = delete;

  bool started() const { return ticket_ != 0; }
  void join() {
    sidecar_.join(ticket_);
    ticket_ = 0;
  }

 private:
  Sidecar& sidecar_;
  Sidecar::Ticket ticket_;
};

}  // namespace alphafactory
