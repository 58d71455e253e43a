// pcap_output.cpp: libpcap dump of generated frames (generator main thread).
#include "pcap_output.hpp"

#include <pcap/pcap.h>

namespace flowsieve::gen {

// Large enough for any frame the generator writes (jumbo-free, at most a few tags over 1514).
constexpr int snaplen = 65535;

void PcapOutput::PcapClose::operator()(pcap* p) const { pcap_close(p); }
void PcapOutput::DumperClose::operator()(pcap_dumper* d) const { pcap_dump_close(d); }

Result<PcapOutput> PcapOutput::open(const std::string& path) {
    PcapOutput out;
    out.path_ = path;
    out.pcap_.reset(pcap_open_dead_with_tstamp_precision(DLT_EN10MB, snaplen, PCAP_TSTAMP_PRECISION_NANO));
    if (!out.pcap_) return Error{path + ": cannot create a pcap handle"};
    out.dumper_.reset(pcap_dump_open(out.pcap_.get(), path.c_str()));
    if (!out.dumper_) return Error{pcap_geterr(out.pcap_.get())};  // libpcap's message names the file
    return out;
}

void PcapOutput::write(std::span<const std::uint8_t> frame, std::uint32_t wire_len, std::uint64_t time_ns) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(time_ns / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>(time_ns % 1'000'000'000);  // nanoseconds: the handle says so
    h.caplen = static_cast<bpf_u_int32>(frame.size());
    h.len = wire_len;
    pcap_dump(reinterpret_cast<u_char*>(dumper_.get()), &h, frame.data());
}

Status PcapOutput::close() {
    if (!dumper_) return Ok{};
    const bool flushed = pcap_dump_flush(dumper_.get()) == 0;
    dumper_.reset();
    pcap_.reset();
    if (!flushed) return Error{path_ + ": write failed"};
    return Ok{};
}

}  // namespace flowsieve::gen
