// test_telemetry.cpp: the /flowsieve commands read the attached counters, and once the attachment is
// withdrawn (the engine tearing down) a late request gets DPDK's null reply, never freed counters.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "dpdk/telemetry.hpp"

namespace flowsieve::testing {
namespace {

// One request on a fresh connection to this process's socket: the greeting first, then the reply.
std::string query(const std::string& command) {
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return "socket failed";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", telemetry_socket_path().c_str());
    const timeval wait{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    std::string reply(1 << 16, '\0');
    ssize_t n = -1;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
        ::recv(fd, reply.data(), reply.size(), 0) > 0 && ::send(fd, command.data(), command.size(), 0) > 0)
        n = ::recv(fd, reply.data(), reply.size(), 0);
    ::close(fd);
    reply.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return reply;
}

TEST(Telemetry, CommandsReadTheAttachedCountersAndNothingAfterDetach) {
    auto workers = std::make_unique<WorkerCounters[]>(2);
    std::atomic<std::uint64_t> written{5}, errors{0}, generation{3};
    WorkerCounters::add(workers[0].received, 7);
    WorkerCounters::add(workers[0].emitted[1], 5);
    WorkerCounters::add(workers[0].dropped[static_cast<std::size_t>(DropReason::no_rule)], 2);
    WorkerCounters::add(workers[1].received, 4);
    WorkerCounters::add(workers[1].dropped[static_cast<std::size_t>(DropReason::anomaly_tcp_truncated)], 4);
    {
        const TelemetryAttachment attached({{&workers[0], &workers[1]}, &written, &errors, &generation});
        const std::string stats = query("/flowsieve/stats");
        EXPECT_NE(stats.find("\"received\":11,"), std::string::npos) << stats;
        EXPECT_NE(stats.find("\"emitted_total\":5,"), std::string::npos) << stats;
        EXPECT_NE(stats.find("\"dropped_total\":6,"), std::string::npos) << stats;
        EXPECT_NE(stats.find("\"no_rule\":2,"), std::string::npos) << stats;
        EXPECT_NE(stats.find("\"anomaly_tcp_truncated\":4,"), std::string::npos) << stats;
        EXPECT_NE(stats.find("\"threat_linked\":0"), std::string::npos) << stats;
        EXPECT_NE(stats.find("\"generation\":3,"), std::string::npos) << stats;
        EXPECT_NE(stats.find("\"written\":5,"), std::string::npos) << stats;
        const std::string one = query("/flowsieve/worker,1");
        EXPECT_NE(one.find("\"received\":4,"), std::string::npos) << one;
        EXPECT_EQ(query("/flowsieve/worker,2"), "{\"/flowsieve/worker\":null}");
        EXPECT_EQ(query("/flowsieve/worker"), "{\"/flowsieve/worker\":null}");
        EXPECT_EQ(query("/flowsieve/worker,1x"), "{\"/flowsieve/worker\":null}");
    }
    workers.reset();  // what the engine does after withdrawing the attachment
    EXPECT_EQ(query("/flowsieve/stats"), "{\"/flowsieve/stats\":null}");
    EXPECT_EQ(query("/flowsieve/worker,0"), "{\"/flowsieve/worker\":null}");
}

}  // namespace
}  // namespace flowsieve::testing
