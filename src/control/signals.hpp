// signals.hpp: SIGINT/SIGTERM (stop: drain, flush, exit) and SIGHUP (reload) as atomic flags.
#pragma once

#include <atomic>

namespace flowsieve {

struct SignalFlags {
    std::atomic<bool> stop{false};
    std::atomic<bool> reload{false};
};

// Installs the handlers; returns the process-wide flags they set.
SignalFlags& install_signal_handlers();

}  // namespace flowsieve
