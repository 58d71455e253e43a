// capture_replay.cpp: libpcap reader -> mbufs with capture time -> net_ring port (feeder thread).
#include "dpdk/capture_replay.hpp"

#include <pcap/pcap.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <span>

#include "dpdk/port.hpp"
#include "parse/link_header.hpp"

namespace flowsieve {

static_assert(linktype::null == DLT_NULL && linktype::ethernet == DLT_EN10MB && linktype::ppp == DLT_PPP &&
                  linktype::raw_dlt == DLT_RAW && linktype::loop == DLT_LOOP && linktype::linux_sll == DLT_LINUX_SLL &&
                  linktype::ipv4 == DLT_IPV4 && linktype::ipv6 == DLT_IPV6 && linktype::linux_sll2 == DLT_LINUX_SLL2,
              "parse/link_header.hpp numbers the link types as libpcap reports them");

int wire_len_field() {
    static const int offset = [] {
        rte_mbuf_dynfield desc{};
        std::strncpy(desc.name, "flowsieve_wire_len", sizeof(desc.name) - 1);
        desc.size = sizeof(std::uint32_t);
        desc.align = alignof(std::uint32_t);
        return rte_mbuf_dynfield_register(&desc);
    }();
    return offset;
}

Result<std::unique_ptr<CaptureReplay>> CaptureReplay::create(const std::string& name, std::vector<ReplayFile> files,
                                                             unsigned ring_size, int socket) {
    const std::string path = files.empty() ? std::string("replay") : files.front().path;
    if (rx_timestamp_field().offset < 0 || wire_len_field() < 0)
        return Error{"cannot register the mbuf fields for capture time and wire length"};
    std::unique_ptr<CaptureReplay> r(new CaptureReplay());
    r->files_ = std::move(files);
    r->ring_ = rte_ring_create(("rp_" + name).c_str(), ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
    if (!r->ring_) return Error{path + ": cannot create the replay ring: " + rte_strerror(rte_errno)};
    // The same ring serves RX and (unused) TX: flowsieve never transmits.
    int pid = rte_eth_from_ring(r->ring_);
    if (pid < 0) return Error{path + ": cannot create the replay port: " + rte_strerror(rte_errno)};
    r->port_id_ = static_cast<std::uint16_t>(pid);
    return r;
}

CaptureReplay::~CaptureReplay() {
    stop();
    join();
    drain();
    rte_ring_free(ring_);
}

void CaptureReplay::drain() {
    void* m;
    while (ring_ && rte_ring_dequeue(ring_, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
}

void CaptureReplay::start(rte_mempool* pool) {
    thread_ = std::thread([this, pool] { feed(pool); });
}

void CaptureReplay::join() {
    if (thread_.joinable()) thread_.join();
}

namespace {

// Appends `bytes` to the chain from `first` to `tail`, taking a new segment from `pool` whenever the
// last one is full (moving `tail` to it); false when the pool is empty or the chain would be too long.
bool append_to_chain(rte_mempool* pool, rte_mbuf* first, rte_mbuf*& tail, std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
        if (rte_pktmbuf_tailroom(tail) == 0) {
            if (first->nb_segs == RTE_MBUF_MAX_NB_SEGS) return false;  // as long as a chain may be
            rte_mbuf* next = rte_pktmbuf_alloc(pool);
            if (!next) return false;
            // Linked here rather than by rte_pktmbuf_chain, which walks the whole chain to its end
            // for every segment added.
            tail->next = next;
            ++first->nb_segs;
            tail = next;
        }
        const auto n = static_cast<std::uint16_t>(std::min<std::size_t>(rte_pktmbuf_tailroom(tail), bytes.size()));
        std::memcpy(rte_pktmbuf_mtod_offset(tail, std::uint8_t*, tail->data_len), bytes.data(), n);
        tail->data_len = static_cast<std::uint16_t>(tail->data_len + n);
        first->pkt_len += n;
        bytes = bytes.subspan(n);
    }
    return true;
}

// A record's seconds since 1970. A classic pcap record holds them in 32 unsigned bits, which
// libpcap 1.10 sign-extends: from 2038-01-19T03:14:08Z on it hands over a negative time (1901),
// read back here as the unsigned value it was. A pcapng time is 64 bits wide and comes negative
// only from a negative if_tsoffset (a time before 1970, nonsense for a capture): judged at 1970.
std::uint64_t capture_seconds(time_t sec, bool classic_pcap) {
    if (sec >= 0) return static_cast<std::uint64_t>(sec);
    return classic_pcap ? std::uint64_t{static_cast<std::uint32_t>(sec)} : 0;
}

// Whether the file is pcapng (its Section Header Block's type), not classic pcap.
bool is_pcapng(const std::string& path) {
    unsigned char magic[4] = {};
    std::ifstream in(path, std::ios::binary);
    return in.read(reinterpret_cast<char*>(magic), 4) && magic[0] == 0x0A && magic[1] == 0x0D && magic[2] == 0x0D &&
           magic[3] == 0x0A;
}

}  // namespace

rte_mbuf* frame_to_mbuf(rte_mempool* pool, std::span<const std::uint8_t> head, std::span<const std::uint8_t> body) {
    rte_mbuf* first = rte_pktmbuf_alloc(pool);
    if (!first) return nullptr;
    rte_mbuf* tail = first;
    if (!append_to_chain(pool, first, tail, head) || !append_to_chain(pool, first, tail, body)) {
        rte_pktmbuf_free(first);  // the whole chain
        return nullptr;
    }
    return first;
}

void CaptureReplay::feed(rte_mempool* pool) {
    for (const ReplayFile& file : files_)
        if (!feed_file(pool, file)) break;
    done_.store(true, std::memory_order_release);
}

// Replays one capture, up to the packets it held when counted; false when it cannot be opened or
// the replay was stopped.
bool CaptureReplay::feed_file(rte_mempool* pool, const ReplayFile& file) {
    const std::string& path = file.path;
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        error_ = path + ": " + errbuf;
        return false;
    }
    const RxTimestamp ts = rx_timestamp_field();
    const int wl = wire_len_field();
    const int link = pcap_datalink(p);  // inspect_capture refused the link types the stand-in lacks
    const bool classic = !is_pcapng(path);
    pcap_pkthdr* h;
    const u_char* data;
    auto wait = [] { std::this_thread::sleep_for(std::chrono::microseconds(50)); };
    std::uint64_t read = 0;
    while (read < file.packets && !stop_.load(std::memory_order_relaxed) && pcap_next_ex(p, &h, &data) == 1) {
        ++read;
        // Frames of other links get an Ethernet header in place of their own (parse/link_header.hpp),
        // and their wire length changes by as much.
        const std::span<const std::uint8_t> captured(data, h->caplen);
        const EthernetStandIn eth = ethernet_stand_in(link, captured);
        const std::span<const std::uint8_t> head(eth.header.data(), eth.length), body = captured.subspan(eth.skip);
        const auto frame_len = static_cast<std::uint32_t>(head.size() + body.size());
        const std::uint32_t wire_len = stand_in_wire_len(eth, h->len, frame_len);
        rte_mbuf* m = nullptr;
        // An empty pool means the workers are behind: wait for them, never drop (offline replay).
        while (!(m = frame_to_mbuf(pool, head, body)) && !stop_.load(std::memory_order_relaxed)) {
            // A frame needing a large share of the pool could wait forever: refuse it instead.
            if (frame_len / (RTE_MBUF_DEFAULT_DATAROOM / 2) + 1 > pool->size / 4) break;
            wait();
        }
        if (!m) {
            if (!stop_.load(std::memory_order_relaxed)) refused_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        *RTE_MBUF_DYNFIELD(m, ts.offset, rte_mbuf_timestamp_t*) =
            capture_seconds(h->ts.tv_sec, classic) * 1'000'000'000ull + static_cast<std::uint64_t>(h->ts.tv_usec);
        m->ol_flags |= ts.flag;
        *RTE_MBUF_DYNFIELD(m, wl, std::uint32_t*) = wire_len;
        while (hold_ && hold_() && !stop_.load(std::memory_order_relaxed)) wait();
        while (rte_ring_enqueue(ring_, m) != 0) {
            if (stop_.load(std::memory_order_relaxed)) {
                rte_pktmbuf_free(m);
                m = nullptr;
                break;
            }
            wait();
        }
        if (m) fed_.fetch_add(1, std::memory_order_release);  // after the enqueue: see fed()
    }
    if (read == file.packets && !stop_.load(std::memory_order_relaxed) && pcap_next_ex(p, &h, &data) == 1)
        notes_.push_back(path + ": it grew while it was read: the " + std::to_string(file.packets) +
                         " packets it held at the start were filtered, not those added since");
    pcap_close(p);
    return !stop_.load(std::memory_order_relaxed);
}

unsigned CaptureReplay::queued() const { return ring_ ? rte_ring_count(ring_) : 0; }

}  // namespace flowsieve
