#include "node/stop_signals.h"

#include <csignal>

namespace polis {
namespace {

volatile std::sig_atomic_t stop_requested = 0;

extern "C" void recordStop(int) { stop_requested = 1; }

}  // namespace

void catchEarlyStopSignals() {
  struct sigaction action {};
  action.sa_handler = recordStop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

bool earlyStopRequested() { return stop_requested != 0; }

}  // namespace polis
