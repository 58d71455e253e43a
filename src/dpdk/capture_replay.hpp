// capture_replay.hpp: offline input: a capture file replayed into a DPDK port (main thread sets up,
// one feeder thread per capture fills it). Unlike net_pcap, every mbuf carries the packet's capture
// time (RX timestamp dynfield, ns) and original wire length, and nothing is dropped: the feeder waits
// when the ring or the mempool is full, so the policy judges every packet at its own time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace flowsieve {

// Offset of the per-mbuf original wire length (uint32) that replay ports fill; -1 until registered.
int wire_len_field();

// One replayed frame, `head` then `body` (an Ethernet header standing in for the capture's own link
// header, then the rest of the frame), copied into a chain of mbufs from `pool` (as many segments as
// it takes); nullptr, with nothing taken from the pool, when the pool runs out or the chain would
// pass DPDK's segment limit. The feeder's; exposed for tests.
rte_mbuf* frame_to_mbuf(rte_mempool* pool, std::span<const std::uint8_t> head, std::span<const std::uint8_t> body);

// A capture to replay and how many packets it held when it was counted before the start. The
// replay reads no more than that: a capture still being written (tcpdump -w) then gives the packets
// it held at start, all of them and always the same, rather than as many as came before the run
// ended, and the packets added meanwhile are reported (notes()).
struct ReplayFile {
    std::string path;
    std::uint64_t packets = UINT64_MAX;  // the default: to its end
};

class CaptureReplay {
public:
    // Creates the port `name` (a net_ring ethdev over a ring of `ring_size` mbufs) that replays
    // `files` one after the other.
    static Result<std::unique_ptr<CaptureReplay>> create(const std::string& name, std::vector<ReplayFile> files,
                                                         unsigned ring_size, int socket);
    ~CaptureReplay();
    CaptureReplay(const CaptureReplay&) = delete;
    CaptureReplay& operator=(const CaptureReplay&) = delete;

    std::uint16_t port_id() const { return port_id_; }
    // Offline back-pressure: while `hold()` is true (the exporter is behind), the feeder waits instead
    // of letting the workers fill their record rings. Workers never block; the input does.
    void set_hold(std::function<bool()> hold) { hold_ = std::move(hold); }
    // Starts feeding from `pool` (after the port is configured and started).
    void start(rte_mempool* pool);
    // Asks the feeder to stop early (SIGINT); join() waits for it.
    void stop() { stop_.store(true, std::memory_order_relaxed); }
    void join();
    // Frees mbufs still queued towards the port (after an early stop, once the workers are stopped).
    void drain();
    bool done() const { return done_.load(std::memory_order_acquire); }
    // Acquire: a frame counted here is already in the ring (queued() or taken), as completion assumes.
    std::uint64_t fed() const { return fed_.load(std::memory_order_acquire); }
    // Frames the feeder could not turn into mbufs (larger than the pool's mbufs can chain).
    std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
    const std::string& error() const { return error_; }
    // What a user should hear of the replay (a capture that grew while it was read); after join().
    const std::vector<std::string>& notes() const { return notes_; }
    // Mbufs fed and not yet taken by a worker.
    unsigned queued() const;

private:
    CaptureReplay() = default;
    void feed(rte_mempool* pool);
    bool feed_file(rte_mempool* pool, const ReplayFile& file);

    std::vector<ReplayFile> files_;
    std::function<bool()> hold_;
    rte_ring* ring_ = nullptr;
    std::uint16_t port_id_ = 0;
    std::thread thread_;
    std::atomic<bool> stop_{false}, done_{false};
    std::atomic<std::uint64_t> fed_{0}, refused_{0};
    std::string error_;  // written by the feeder before done_
    std::vector<std::string> notes_;  // written by the feeder, read after join()
};

}  // namespace flowsieve
