#include "alphafactory/sidecar.hpp"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace alphafactory {

struct Sidecar::State {
  pid_t pid = getpid();  // the process whose thread serves this state
  std::mutex mutex;
  std::condition_variable cv;
  std::function<void()> task;
  Ticket started = 0;
  Ticket finished = 0;
  bool busy = false;

  void serve() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      cv.wait(lock, [this] { return static_cast<bool>(task); });
      std::function<void()> run = std::move(task);
      task = nullptr;
      lock.unlock();
      run();
      lock.lock();
      ++finished;
      busy = false;
      cv.notify_all();
    }
  }
};

Sidecar& Sidecar::shared() {
  static Sidecar sidecar;
  return sidecar;
}

// States are never freed: the thread serving one lives as long as the process, and after a
// fork the parent's state (its mutex possibly held by a thread that does not exist in the
// child) is left untouched and replaced.
Sidecar::State* Sidecar::state() {
  static std::atomic<State*> g_state{nullptr};
  State* current = g_state.load(std::memory_order_acquire);
  if (current != nullptr && current->pid == getpid()) return current;
  auto* fresh = new State();
  if (!g_state.compare_exchange_strong(current, fresh, std::memory_order_acq_rel)) {
    delete fresh;  // another thread installed one first
    return current;
  }
  std::thread([fresh] { fresh->serve(); }).detach();
  return fresh;
}

Sidecar::Ticket Sidecar::start(std::function<void()> task) {
  // hardware_concurrency() reads /sys on Linux: once per process is enough.
  static const bool kOneCore = std::thread::hardware_concurrency() < 2;
  if (kOneCore) return 0;
  State* s = state();
  std::lock_guard<std::mutex> lock(s->mutex);
  if (s->busy) return 0;
  s->busy = true;
  s->task = std::move(task);
  const Ticket ticket = ++s->started;
  s->cv.notify_all();
  return ticket;
}

void Sidecar::join(Ticket ticket) {
  if (ticket == 0) return;
  State* s = state();
  std::unique_lock<std::mutex> lock(s->mutex);
  s->cv.wait(lock, [s, ticket] { return s->finished >= ticket; });
}

}  // namespace alphafactory
