// signals.cpp: async-signal-safe handlers that only store to lock-free atomics.
#include "control/signals.hpp"

#include <csignal>

namespace flowsieve {

namespace {
SignalFlags flags;
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int sig) {
    if (sig == SIGHUP) flags.reload.store(true);
    else flags.stop.store(true);
}
}  // namespace

SignalFlags& install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    // Installed before the start-up's file reads: a signal then must not fail one with EINTR.
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    return flags;
}

}  // namespace flowsieve
