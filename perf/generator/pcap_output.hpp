// pcap_output.hpp: writes frames to a classic pcap file (LINKTYPE_ETHERNET, nanosecond timestamps)
// through libpcap. Generator main thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/result.hpp"

struct pcap;
struct pcap_dumper;

namespace flowsieve::gen {

class PcapOutput {
public:
    static Result<PcapOutput> open(const std::string& path);
    void write(std::span<const std::uint8_t> frame, std::uint32_t wire_len, std::uint64_t time_ns);
    // Flushes and closes; an error names the file.
    Status close();

private:
    struct PcapClose {
        void operator()(pcap* p) const;
    };
    struct DumperClose {
        void operator()(pcap_dumper* d) const;
    };
    std::string path_;
    std::unique_ptr<pcap, PcapClose> pcap_;
    std::unique_ptr<pcap_dumper, DumperClose> dumper_;
};

}  // namespace flowsieve::gen
