// traffic_generator.hpp: the seeded packet source. Draws flows (endpoint pairs of an intended class,
// Zipf-like popularity) from the real tables, then one frame at a time: which intent, which flow,
// which direction, headers from the header random source, payload from PayloadFill.
// Same config => same frames, byte for byte. Usable from a pcap writer or to fill mbufs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "endpoint_pool.hpp"
#include "intent.hpp"
#include "packet_builder.hpp"
#include "payload_fill.hpp"
#include "rng.hpp"
#include "traffic_profile.hpp"

namespace flowsieve::gen {

struct GeneratedPacket {
    std::vector<std::uint8_t> bytes;  // the captured frame (no FCS)
    std::uint32_t wire_len = 0;       // > bytes.size() only for a capture cut short
    std::uint64_t time_ns = 0;
    Intent intent = 0;
    FrameLayout layout;               // where the headers end and the payload starts
};

// One endpoint pair; `a` is the client side (ephemeral port), `b` the server side.
struct Flow {
    IpAddress a, b;
    std::uint16_t a_port = 0, b_port = 0;
    std::uint8_t proto = 6;
    L2Spec l2;                        // src = a's side of the link
    std::uint8_t ttl_a = 64, ttl_b = 64;
    std::uint32_t seq_a = 0, seq_b = 0;
    std::uint16_t icmp_id = 0;
};

class TrafficGenerator {
public:
    static Result<TrafficGenerator> create(const GeneratorConfig& config);

    // Writes the next frame into `out` (its buffer is reused).
    void next(GeneratedPacket& out);

    const std::array<std::uint64_t, intent_count>& counts() const { return counts_; }
    const EndpointPool& endpoints() const { return pool_; }
    // Intents the profile wanted but the tables cannot give (e.g. operator without --operator).
    const std::vector<std::string>& notes() const { return notes_; }

private:
    struct FlowSet {
        std::vector<Flow> flows;
        std::vector<double> cumulative;  // Zipf weights, cumulative
    };

    TrafficGenerator(const GeneratorConfig& config, EndpointPool pool);
    bool make_flows(Intent intent, std::uint32_t count);
    bool draw_flow(Intent intent, Flow& flow);
    Intent draw_intent();
    const Flow& draw_flow_of(Intent intent);
    void flow_packet(Intent intent, const Flow& flow, GeneratedPacket& out);
    void anomaly_packet(Anomaly a, GeneratedPacket& out);
    void not_ip_packet(GeneratedPacket& out);
    std::uint16_t payload_for(std::uint8_t proto, std::size_t headers);
    L2Spec random_l2();
    // Pads (unless the capture was cut), fills the payload, sets L4 checksums when asked.
    void finish(GeneratedPacket& out, bool cut, bool well_formed);

    GeneratorConfig config_;
    EndpointPool pool_;
    Rng rng_;
    PayloadFill fill_;
    SizeModel size_;
    std::array<std::uint32_t, intent_count> weights_{};
    std::array<FlowSet, intent_count> flows_{};
    std::vector<Intent> cover_;       // every enabled intent once, in a seeded order, first
    std::size_t cover_next_ = 0;
    std::uint64_t total_weight_ = 0;
    std::uint64_t emitted_weight_ = 0;
    std::int64_t clock_ns_ = 0;
    std::array<std::uint64_t, intent_count> counts_{};
    std::vector<std::string> notes_;
};

}  // namespace flowsieve::gen
