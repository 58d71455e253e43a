// parse_test_util.hpp: helpers shared by the parser tests (test thread).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "core/drop_reason.hpp"
#include "core/ip_address.hpp"
#include "parse/link_header.hpp"
#include "parse/packet_parser.hpp"

namespace flowsieve {

// Readable gtest failure messages.
inline std::ostream& operator<<(std::ostream& os, Anomaly a) { return os << name_of(a); }
inline std::ostream& operator<<(std::ostream& os, ParseOutcome o) {
    return os << (o == ParseOutcome::ok ? "ok" : o == ParseOutcome::not_ip ? "not_ip" : "anomaly");
}
inline std::ostream& operator<<(std::ostream& os, Fragment f) {
    return os << (f == Fragment::none ? "none" : f == Fragment::first ? "first" : "non_first");
}

namespace testing {

// Parses a copy of `bytes` held in a heap block of exactly that size, so that under
// AddressSanitizer a read one byte past the frame is reported instead of landing in slack.
inline ParsedPacket parse_exact(std::span<const std::uint8_t> bytes) {
    std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[bytes.size()]);
    if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
    ParsedPacket out;
    parse_packet(std::span<const std::uint8_t>(copy.get(), bytes.size()), out);
    return out;
}

inline std::string str(const IpAddress& a) { return to_string(a); }

// The frame as the capture replay hands it to the data path: the Ethernet header that stands in for
// its own link header, then its bytes after that header (parse/link_header.hpp).
inline std::vector<std::uint8_t> converted(int linktype, const std::vector<std::uint8_t>& frame) {
    const EthernetStandIn s = ethernet_stand_in(linktype, frame);
    std::vector<std::uint8_t> out(s.header.begin(), s.header.begin() + static_cast<std::ptrdiff_t>(s.length));
    out.insert(out.end(), frame.begin() + static_cast<std::ptrdiff_t>(s.skip), frame.end());
    return out;
}

// Every capture under tests/data/pcap, sorted.
inline std::vector<std::string> all_captures() {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(test_data("pcap"))) {
        const std::string ext = entry.path().extension().string();
        if (entry.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace testing
}  // namespace flowsieve
