// capture_file.hpp: test helper that reads a whole pcap/pcapng file with libpcap.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flowsieve::testing {

struct CapturedPacket {
    std::uint64_t time_ns = 0;       // capture time, ns since the epoch
    std::uint32_t wire_len = 0;      // original length
    std::vector<std::uint8_t> bytes; // captured bytes
    std::string comment;             // pcapng opt_comment, when present (empty for pcap)
};

struct CaptureFile {
    int linktype = -1;  // DLT_* of the file
    std::vector<CapturedPacket> packets;
};

// Reads every packet; throws std::runtime_error with libpcap's message on failure (tests only).
CaptureFile read_capture(const std::string& path);

// Writes a classic Ethernet pcap (microsecond timestamps) with the given packets.
void write_capture(const std::string& path, const std::vector<CapturedPacket>& packets, int linktype = 1);

// Path of a file under tests/data/.
std::string test_data(const std::string& relative);

}  // namespace flowsieve::testing
