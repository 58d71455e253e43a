// telemetry.cpp: /flowsieve/stats and /flowsieve/worker,N over DPDK's telemetry socket (replies are
// built on DPDK's telemetry thread; attach/detach on the main thread).
#include "dpdk/telemetry.hpp"

#include <fcntl.h>
#include <rte_eal.h>
#include <rte_telemetry.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string_view>

namespace flowsieve {

namespace {

// The view the commands read, and the lock that keeps it alive while one is answered. DPDK's
// telemetry threads (one per client) are the only readers and the main thread the only writer: the
// workers never meet this lock.
std::mutex view_lock;
std::optional<TelemetrySource> view;

std::uint64_t load(const std::atomic<std::uint64_t>* c) { return c ? c->load(std::memory_order_relaxed) : 0; }

// DPDK (22.11.x stable) refuses a dict name with other characters than letters, digits, '_' and
// '/', and silently leaves the entry out: "threat-linked" is served as "threat_linked".
std::string telemetry_name(std::string_view name) {
    std::string out(name);
    for (char& c : out)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/')) c = '_';
    return out;
}

// One worker's counters (or all of them) as one JSON object. Names come from the same tables as
// the exit summary (category_names, drop_reason_names), so the two never disagree.
void add_counters(rte_tel_data* d, const CounterTotals& t) {
    rte_tel_data_add_dict_u64(d, "received", t.received);
    if (rte_tel_data* em = rte_tel_data_alloc()) {
        rte_tel_data_start_dict(em);
        for (std::size_t c = 0; c < category_count; ++c)
            rte_tel_data_add_dict_u64(em, telemetry_name(category_names[c]).c_str(), t.emitted[c]);
        rte_tel_data_add_dict_container(d, "emitted", em, 0);  // 0: the reply owns (frees) it
    }
    rte_tel_data_add_dict_u64(d, "emitted_total", t.emitted_total());
    if (rte_tel_data* dr = rte_tel_data_alloc()) {
        rte_tel_data_start_dict(dr);
        for (std::size_t r = 0; r < drop_reason_count; ++r)
            rte_tel_data_add_dict_u64(dr, telemetry_name(drop_reason_names[r]).c_str(), t.dropped[r]);
        rte_tel_data_add_dict_container(d, "dropped", dr, 0);
    }
    rte_tel_data_add_dict_u64(d, "dropped_total", t.dropped_total());
    rte_tel_data_add_dict_u64(d, "endpoint_cache_hits", t.endpoint_cache_hits);
    rte_tel_data_add_dict_u64(d, "endpoint_cache_misses", t.endpoint_cache_misses);
    rte_tel_data_add_dict_u64(d, "flow_cache_hits", t.flow_cache_hits);
    rte_tel_data_add_dict_u64(d, "flow_cache_misses", t.flow_cache_misses);
}

// The figures are relaxed loads of counters the workers keep adding to: a reply taken mid-burst may
// be off by part of a burst (a worker adds `received` last); it is exact once the input is idle.
int stats_command(const char*, const char*, rte_tel_data* d) {
    std::lock_guard lock(view_lock);
    if (!view) return -ENODEV;  // the engine is not running (starting up or shut down)
    CounterTotals t;
    for (const WorkerCounters* w : view->workers) t.add(*w);
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "workers", view->workers.size());
    rte_tel_data_add_dict_u64(d, "generation", load(view->generation));
    add_counters(d, t);
    rte_tel_data_add_dict_u64(d, "written", load(view->written));
    rte_tel_data_add_dict_u64(d, "write_errors", load(view->write_errors));
    return 0;
}

std::optional<std::size_t> worker_index(const char* params) {
    if (!params) return std::nullopt;
    std::string_view s(params);
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return n;
}

// A negative return makes DPDK reply {"/flowsieve/worker": null}: no such worker, or no number.
int worker_command(const char*, const char* params, rte_tel_data* d) {
    const auto n = worker_index(params);
    if (!n) return -EINVAL;
    std::lock_guard lock(view_lock);
    if (!view) return -ENODEV;
    if (*n >= view->workers.size()) return -ERANGE;
    CounterTotals t;
    t.add(*view->workers[*n]);
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "worker", *n);
    rte_tel_data_add_dict_u64(d, "generation", load(view->generation));
    add_counters(d, t);
    return 0;
}

// The socket this process serves: DPDK names it dpdk_telemetry.v2, or dpdk_telemetry.v2:N when
// another live process with the same --file-prefix holds that name. Each greets a client with its
// pid ({"version":...,"pid":N,...}). Empty when there is none (--no-telemetry, or it failed).
std::string own_socket() {
    const std::string base = telemetry_socket_path();
    const std::string pid_field = "\"pid\":" + std::to_string(::getpid()) + ",";
    for (int instance = 0; instance < 64; ++instance) {
        const std::string path = instance ? base + ":" + std::to_string(instance) : base;
        struct stat st{};
        if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) break;
        // Connected without blocking (a stuck process sharing the prefix, its backlog full, must not
        // hold up this start), then waited on for the greeting for at most SO_RCVTIMEO.
        const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) break;
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        const timeval wait{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
        char greeting[512] = {};
        ssize_t n = -1;
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 && ::fcntl(fd, F_SETFL, 0) == 0)
            n = ::recv(fd, greeting, sizeof greeting - 1, 0);
        ::close(fd);
        if (n > 0 && std::string_view(greeting, static_cast<std::size_t>(n)).find(pid_field) != std::string_view::npos)
            return path;
    }
    return {};
}

void register_commands() {
    if (rte_telemetry_register_cmd("/flowsieve/stats", stats_command,
                                   "Counters of all workers and the exporter. Takes no parameters.") != 0 ||
        rte_telemetry_register_cmd("/flowsieve/worker", worker_command,
                                   "Counters of one worker. Parameters: worker number (0-based).") != 0)
        spdlog::warn("telemetry: cannot register the /flowsieve commands");
}

}  // namespace

std::string telemetry_socket_path() { return std::string(rte_eal_get_runtime_dir()) + "/dpdk_telemetry.v2"; }

TelemetryAttachment::TelemetryAttachment(TelemetrySource source) {
    static std::once_flag registered;
    std::call_once(registered, register_commands);
    // The EAL starts the telemetry thread itself unless --no-telemetry; its socket is the only sign.
    if (const std::string path = own_socket(); !path.empty())
        spdlog::info("telemetry: {} (/flowsieve/stats, /flowsieve/worker,N)", path);
    else
        spdlog::warn("telemetry: no socket of this process at {}[:N] (--no-telemetry?): the run goes on without it",
                     telemetry_socket_path());
    // Last, and unable to throw (a move): a constructor that threw after attaching would leave the
    // view pointing at counters the unwinding engine frees, with no destructor to withdraw it.
    std::lock_guard lock(view_lock);
    view = std::move(source);
}

TelemetryAttachment::~TelemetryAttachment() {
    std::lock_guard lock(view_lock);
    view.reset();
}

}  // namespace flowsieve
