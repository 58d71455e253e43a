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

#include "dpdk/port.hpp"

namespace flowsieve {

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

Result<std::unique_ptr<CaptureReplay>> CaptureReplay::create(const std::string& name, std::vector<std::string> paths,
                                                             unsigned ring_size, int socket) {
    const std::string path = paths.empty() ? std::string("replay") : paths.front();
    if (rx_timestamp_field().offset < 0 || wire_len_field() < 0)
        return Error{"cannot register the mbuf fields for capture time and wire length"};
    std::unique_ptr<CaptureReplay> r(new CaptureReplay());
    r->paths_ = std::move(paths);
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

// Copies one frame into a chain of mbufs from `pool`; nullptr when the pool is empty.
rte_mbuf* frame_to_mbuf(rte_mempool* pool, const std::uint8_t* data, std::uint32_t len) {
    rte_mbuf* head = rte_pktmbuf_alloc(pool);
    if (!head) return nullptr;
    rte_mbuf* tail = head;
    std::uint32_t done = 0;
    for (;;) {
        std::uint16_t room = static_cast<std::uint16_t>(std::min<std::uint32_t>(rte_pktmbuf_tailroom(tail), len - done));
        std::memcpy(rte_pktmbuf_mtod(tail, std::uint8_t*), data + done, room);
        tail->data_len = room;
        done += room;
        if (done == len) break;
        rte_mbuf* next = rte_pktmbuf_alloc(pool);
        if (!next || rte_pktmbuf_chain(head, next) != 0) {
            rte_pktmbuf_free(next);
            rte_pktmbuf_free(head);
            return nullptr;
        }
        tail = next;
    }
    head->pkt_len = len;
    return head;
}

}  // namespace

void CaptureReplay::feed(rte_mempool* pool) {
    for (const auto& path : paths_)
        if (!feed_file(pool, path)) break;
    done_.store(true, std::memory_order_release);
}

// Replays one capture; false when it cannot be opened or the replay was stopped.
bool CaptureReplay::feed_file(rte_mempool* pool, const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        error_ = path + ": " + errbuf;
        return false;
    }
    const RxTimestamp ts = rx_timestamp_field();
    const int wl = wire_len_field();
    pcap_pkthdr* h;
    const u_char* data;
    auto wait = [] { std::this_thread::sleep_for(std::chrono::microseconds(50)); };
    while (!stop_.load(std::memory_order_relaxed) && pcap_next_ex(p, &h, &data) == 1) {
        rte_mbuf* m = nullptr;
        // An empty pool means the workers are behind: wait for them, never drop (offline replay).
        while (!(m = frame_to_mbuf(pool, data, h->caplen)) && !stop_.load(std::memory_order_relaxed)) {
            // A frame needing a large share of the pool could wait forever: refuse it instead.
            if (h->caplen / (RTE_MBUF_DEFAULT_DATAROOM / 2) + 1 > pool->size / 4) break;
            wait();
        }
        if (!m) {
            if (!stop_.load(std::memory_order_relaxed)) refused_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        *RTE_MBUF_DYNFIELD(m, ts.offset, rte_mbuf_timestamp_t*) =
            static_cast<std::uint64_t>(h->ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(h->ts.tv_usec);
        m->ol_flags |= ts.flag;
        *RTE_MBUF_DYNFIELD(m, wl, std::uint32_t*) = h->len;
        while (hold_ && hold_() && !stop_.load(std::memory_order_relaxed)) wait();
        while (rte_ring_enqueue(ring_, m) != 0) {
            if (stop_.load(std::memory_order_relaxed)) {
                rte_pktmbuf_free(m);
                m = nullptr;
                break;
            }
            wait();
        }
        if (m) fed_.fetch_add(1, std::memory_order_relaxed);
    }
    pcap_close(p);
    return !stop_.load(std::memory_order_relaxed);
}

}  // namespace flowsieve
