// traffic_generator.cpp: flows, intents and frames (generator set-up, then the packet loop; one thread).
#include "traffic_generator.hpp"

#include <algorithm>
#include <utility>

#include "anomaly_builder.hpp"
#include "core/flow_key.hpp"

namespace flowsieve::gen {
namespace {

constexpr std::int64_t one_year_ns = 365LL * 86400 * 1'000'000'000;

// Flows of these intents are endpoint pairs; the other intents reuse or draw endpoints per packet.
constexpr Intent flow_intents[] = {
    intent_of(Category::transit),           intent_of(Category::operator_),
    intent_of(Category::threat_linked),     intent_of(DropReason::special_address),
    intent_of(DropReason::domestic_domestic), intent_of(DropReason::excluded_port),
    intent_of(DropReason::fragment_no_ports), intent_of(DropReason::no_rule),
};
constexpr Intent emitted_intents[] = {intent_of(Category::transit), intent_of(Category::operator_),
                                      intent_of(Category::threat_linked)};

constexpr std::uint16_t email_ports[] = {25, 110, 143, 465, 587, 993, 995};
constexpr std::uint16_t tcp_services[] = {443, 443, 443, 443, 80, 80, 22, 8080, 8443, 3389, 53, 21};
constexpr std::uint16_t udp_services[] = {53, 53, 53, 443, 443, 123, 5060, 4500, 51820, 3478};
constexpr std::uint16_t sctp_services[] = {2905, 3868, 36412, 38412};

template <class T, std::size_t N>
T pick(const T (&v)[N], Rng& rng) {
    return v[below(rng, N)];
}

std::uint16_t service_port(std::uint8_t proto, Rng& rng) {
    switch (proto) {
        case ipproto::tcp: return pick(tcp_services, rng);
        case ipproto::udp: return pick(udp_services, rng);
        case ipproto::sctp: return pick(sctp_services, rng);
        default: return 0;
    }
}

std::uint16_t ephemeral_port(Rng& rng) { return static_cast<std::uint16_t>(between(rng, 32768, 60999)); }

std::uint8_t random_proto(Profile p, bool v6, Rng& rng) {
    const double r = unit(rng);
    const double tcp = p == Profile::demo ? 0.70 : 0.75, udp = p == Profile::demo ? 0.88 : 0.95,
                 icmp = p == Profile::demo ? 0.94 : 0.98;
    if (r < tcp) return ipproto::tcp;
    if (r < udp) return ipproto::udp;
    if (r < icmp) return v6 ? ipproto::ipv6_icmp : ipproto::icmp;
    return ipproto::sctp;
}

// The pair of endpoint roles an intent's flows are drawn from (a, b; sides are swapped later).
std::pair<Role, Role> roles_of(Intent i, bool operator_side, bool has_operator) {
    if (i == intent_of(Category::operator_)) return {Role::foreign, Role::operator_};
    if (i == intent_of(Category::threat_linked)) return {Role::foreign_indicator, Role::domestic};
    if (i == intent_of(DropReason::special_address)) return {Role::special, Role::foreign};
    if (i == intent_of(DropReason::domestic_domestic))
        return {operator_side && has_operator ? Role::operator_ : Role::domestic, Role::domestic};
    if (i == intent_of(DropReason::no_rule)) return {Role::foreign_clean, Role::domestic_clean};
    return {Role::foreign, Role::foreign};  // transit, excluded port, fragment without ports
}

std::size_t l4_len(const IpPacketSpec& s) {
    if (s.frag == FragPart::non_first) return 0;
    switch (s.proto) {
        case ipproto::tcp:
            return 20 + (s.tcp_options == TcpOptions::syn ? 20 : s.tcp_options == TcpOptions::timestamps ? 12 : 0);
        case ipproto::udp:
        case ipproto::icmp:
        case ipproto::ipv6_icmp: return 8;
        case ipproto::sctp: return 12;
        default: return 0;
    }
}

// IP header bytes (options, extension headers) the spec will produce, L4 header excluded.
std::size_t l3_len(const IpPacketSpec& s) {
    if (s.src.is_v4()) return 20 + (s.ipv4_router_alert ? 4 : 0);
    return 40 + 8 * (s.v6_ext_count + (s.frag != FragPart::none ? 1 : 0));
}

}  // namespace

TrafficGenerator::TrafficGenerator(const GeneratorConfig& config, EndpointPool pool)
    : config_(config), pool_(std::move(pool)), rng_(config.seed), fill_(config.payload, config.payload_seed),
      size_(config.size.value_or(config.profile == Profile::demo ? SizeModel::natural : SizeModel::imix)),
      clock_ns_(config.start_ns) {}

Result<TrafficGenerator> TrafficGenerator::create(const GeneratorConfig& config) {
    if (config.flows == 0) return Error{"--flows must be at least 1"};
    auto pool = EndpointPool::load(config.endpoints);
    if (!pool) return pool.error();
    TrafficGenerator g(config, std::move(pool.value()));
    g.weights_ = profile_weights(config.profile);

    std::uint64_t flow_weight = 0;
    for (Intent i : flow_intents) flow_weight += g.weights_[i];
    for (Intent i : flow_intents) {
        if (g.weights_[i] == 0) continue;
        const auto count = static_cast<std::uint32_t>(
            std::max<std::uint64_t>(1, std::uint64_t{config.flows} * g.weights_[i] / flow_weight));
        if (!g.make_flows(i, count)) {
            g.weights_[i] = 0;
            const char* why = i == intent_of(Category::operator_)       ? "no usable --operator prefix"
                              : i == intent_of(Category::threat_linked) ? "no --indicators address in a foreign country"
                                                                        : "no endpoints for it in the given tables";
            g.notes_.push_back(std::string(intent_name(i)) + ": " + why + ", none generated");
        }
    }
    for (std::size_t a = 1; a <= anomaly_count; ++a) {
        const Family f = anomaly_family(static_cast<Anomaly>(a));
        const Intent i = intent_of(static_cast<Anomaly>(a));
        if (g.weights_[i] != 0 && f != Family::none && !g.pool_.available(Role::foreign, f)) {
            g.weights_[i] = 0;
            g.notes_.push_back(std::string(intent_name(i)) + ": no foreign addresses of its family, none generated");
        }
    }
    for (Intent i : emitted_intents) g.emitted_weight_ += g.weights_[i];
    if (g.emitted_weight_ == 0) g.weights_[intent_of(DropReason::unauthorised)] = 0;
    for (std::size_t i = 0; i < intent_count; ++i) {
        g.total_weight_ += g.weights_[i];
        if (g.weights_[i] != 0) g.cover_.push_back(static_cast<Intent>(i));
    }
    if (g.total_weight_ == 0) return Error{"the tables give no endpoints for any packet of this profile"};
    // Every intent once first, in a seeded order: even a short run shows each of them.
    for (std::size_t i = g.cover_.size(); i > 1; --i) std::swap(g.cover_[i - 1], g.cover_[below(g.rng_, i)]);
    return g;
}

L2Spec TrafficGenerator::random_l2() {
    L2Spec l2;
    for (Mac* m : {&l2.src, &l2.dst}) {
        const std::uint64_t v = rng_();
        for (std::size_t k = 0; k < 6; ++k) (*m)[k] = static_cast<std::uint8_t>(v >> (8 * k));
        (*m)[0] = static_cast<std::uint8_t>(((*m)[0] & 0xFC) | 0x02);  // locally administered unicast
    }
    if (chance(rng_, config_.vlan_share)) l2.tags = chance(rng_, 0.3) ? 2 : 1;
    l2.vid = static_cast<std::uint16_t>(between(rng_, 2, 4000));
    return l2;
}

bool TrafficGenerator::draw_flow(Intent intent, Flow& f) {
    const auto [ra, rb] = roles_of(intent, chance(rng_, 0.25), pool_.available(Role::operator_, Family::v4) ||
                                                                   pool_.available(Role::operator_, Family::v6));
    auto both = [&, ra = ra, rb = rb](Family fam) { return pool_.available(ra, fam) && pool_.available(rb, fam); };
    Family fam = chance(rng_, config_.ipv6_share) ? Family::v6 : Family::v4;
    if (!both(fam)) fam = fam == Family::v6 ? Family::v4 : Family::v6;
    if (!both(fam)) return false;
    f.a = pool_.draw_available(ra, fam, rng_);
    f.b = pool_.draw_available(rb, fam, rng_);
    if (chance(rng_, 0.5)) std::swap(f.a, f.b);  // either side may be the client

    const bool v6 = fam == Family::v6;
    if (intent == intent_of(DropReason::fragment_no_ports)) {
        f.proto = chance(rng_, 0.8) ? ipproto::udp : ipproto::tcp;
    } else if (intent == intent_of(DropReason::excluded_port)) {
        const double r = unit(rng_);
        f.proto = r < 0.8 ? ipproto::tcp : r < 0.9 ? ipproto::udp : ipproto::sctp;
    } else {
        f.proto = random_proto(config_.profile, v6, rng_);
    }
    f.a_port = ephemeral_port(rng_);
    f.b_port = intent == intent_of(DropReason::excluded_port) ? pick(email_ports, rng_) : service_port(f.proto, rng_);
    if (f.proto == ipproto::icmp || f.proto == ipproto::ipv6_icmp) f.a_port = f.b_port = 0;
    f.l2 = random_l2();
    constexpr std::uint8_t initial_ttl[] = {64, 128, 255};
    f.ttl_a = static_cast<std::uint8_t>(pick(initial_ttl, rng_) - below(rng_, 30));
    f.ttl_b = static_cast<std::uint8_t>(pick(initial_ttl, rng_) - below(rng_, 30));
    f.seq_a = static_cast<std::uint32_t>(rng_());
    f.seq_b = static_cast<std::uint32_t>(rng_());
    f.icmp_id = static_cast<std::uint16_t>(rng_());
    return true;
}

bool TrafficGenerator::make_flows(Intent intent, std::uint32_t count) {
    FlowSet& set = flows_[intent];
    Flow f;
    for (std::uint32_t k = 0; k < count; ++k) {
        if (!draw_flow(intent, f)) return false;
        set.flows.push_back(f);
    }
    // Zipf (s = 1): the flow of rank r carries a share proportional to 1 / r.
    double sum = 0;
    set.cumulative.reserve(set.flows.size());
    for (std::size_t r = 1; r <= set.flows.size(); ++r) set.cumulative.push_back(sum += 1.0 / static_cast<double>(r));
    return true;
}

Intent TrafficGenerator::draw_intent() {
    if (cover_next_ < cover_.size()) return cover_[cover_next_++];
    std::uint64_t u = below(rng_, total_weight_);
    for (std::size_t i = 0; i < intent_count; ++i) {
        if (u < weights_[i]) return static_cast<Intent>(i);
        u -= weights_[i];
    }
    return cover_.front();  // unreachable: u < total_weight_
}

const Flow& TrafficGenerator::draw_flow_of(Intent intent) {
    const FlowSet& set = flows_[intent];
    const double u = unit(rng_) * set.cumulative.back();
    const auto it = std::upper_bound(set.cumulative.begin(), set.cumulative.end(), u);
    return set.flows[std::min<std::size_t>(static_cast<std::size_t>(it - set.cumulative.begin()), set.flows.size() - 1)];
}

std::uint16_t TrafficGenerator::payload_for(std::uint8_t proto, std::size_t headers) {
    std::size_t want = 0;
    switch (size_) {
        case SizeModel::natural: {
            const double r = unit(rng_);
            if (proto == ipproto::tcp) {
                want = r < 0.45 ? 0 : r < 0.70 ? between(rng_, 1, 200) : r < 0.85 ? between(rng_, 200, 1000) : 1500;
            } else if (proto == ipproto::udp) {
                want = r < 0.6 ? between(rng_, 20, 200) : between(rng_, 200, 1300);
            } else if (proto == ipproto::sctp) {
                want = between(rng_, 16, 600);
            } else {
                want = 56;  // ping's default
            }
            break;
        }
        case SizeModel::min64: want = headers < min_frame_len ? min_frame_len - headers : 0; break;
        case SizeModel::imix: {
            const std::uint64_t r = below(rng_, 12);
            const std::size_t frame = r < 7 ? 60 : r < 11 ? 590 : 1514;  // 64/594/1518 less the FCS
            want = headers < frame ? frame - headers : 0;
            break;
        }
    }
    return static_cast<std::uint16_t>(want);
}

void TrafficGenerator::flow_packet(Intent intent, const Flow& f, GeneratedPacket& out) {
    const bool forward = chance(rng_, 0.5);
    const bool v6 = f.a.is_v6();
    IpPacketSpec s;
    s.l2 = f.l2;
    if (!forward) std::swap(s.l2.src, s.l2.dst);
    s.src = forward ? f.a : f.b;
    s.dst = forward ? f.b : f.a;
    s.src_port = forward ? f.a_port : f.b_port;
    s.dst_port = forward ? f.b_port : f.a_port;
    s.proto = f.proto;
    s.ttl = forward ? f.ttl_a : f.ttl_b;
    s.ip_id = static_cast<std::uint16_t>(rng_());
    s.dont_fragment = f.proto == ipproto::tcp;

    bool bare = false;  // TCP control segments carry no payload
    if (f.proto == ipproto::tcp) {
        const double r = unit(rng_);
        s.seq = (forward ? f.seq_a : f.seq_b) + static_cast<std::uint32_t>(below(rng_, 1u << 20));
        s.ack = (forward ? f.seq_b : f.seq_a) + static_cast<std::uint32_t>(below(rng_, 1u << 20));
        s.ts_val = static_cast<std::uint32_t>(rng_());
        s.window = static_cast<std::uint16_t>(between(rng_, 512, 65535));
        if (r < 0.03) {
            s.tcp_flags = forward ? 0x02 : 0x12;  // SYN / SYN-ACK
            s.tcp_options = TcpOptions::syn;
            if (forward) s.ack = 0;
            bare = true;
        } else {
            s.tcp_flags = r < 0.05 ? 0x11 : r < 0.06 ? 0x14 : 0x10;  // FIN-ACK, RST-ACK, ACK
            bare = r < 0.06;
            if (chance(rng_, 0.4)) s.tcp_options = TcpOptions::timestamps;
        }
    } else if (f.proto == ipproto::icmp || f.proto == ipproto::ipv6_icmp) {
        s.icmp_type = v6 ? (forward ? 128 : 129) : (forward ? 8 : 0);
        s.icmp_id = f.icmp_id;
        s.icmp_seq = static_cast<std::uint16_t>(rng_());
    } else if (f.proto == ipproto::sctp) {
        s.sctp_vtag = forward ? f.seq_b : f.seq_a;  // the receiver's tag
    }

    if (config_.profile == Profile::demo && size_ == SizeModel::natural) {
        if (!v6 && chance(rng_, 0.01)) s.ipv4_router_alert = true;
        if (v6 && chance(rng_, 0.03)) {
            if (chance(rng_, 0.5)) s.v6_ext[s.v6_ext_count++] = ext::hop_by_hop;
            s.v6_ext[s.v6_ext_count++] = ext::dst_opts;
        }
    }
    const bool no_ports = intent == intent_of(DropReason::fragment_no_ports);
    if (no_ports) {
        s.frag = FragPart::non_first;
        s.frag_offset = static_cast<std::uint16_t>(185 * between(rng_, 1, 8));  // 1480-byte steps
        s.more_fragments = chance(rng_, 0.5);
        s.payload_len = static_cast<std::uint16_t>(s.more_fragments ? 8 * between(rng_, 1, 185) : between(rng_, 1, 1480));
    } else if (f.proto == ipproto::udp && config_.profile == Profile::demo && size_ == SizeModel::natural &&
               is_emitted(intent) && chance(rng_, 0.03)) {
        // A first fragment: the UDP header is here, its length covers the whole datagram.
        s.frag = FragPart::first;
        s.payload_len = static_cast<std::uint16_t>(8 * between(rng_, 60, 180) - 8);
        s.datagram_l4_len = static_cast<std::uint16_t>(8 + s.payload_len + between(rng_, 100, 3000));
    } else {
        const std::size_t headers = 14 + 4 * std::size_t{s.l2.tags} + l3_len(s) + l4_len(s);
        s.payload_len = bare ? 0 : payload_for(f.proto, headers);
    }
    // Keep the IP packet within a 1500-byte MTU.
    const std::size_t ip_headers = l3_len(s) + l4_len(s);
    s.payload_len = static_cast<std::uint16_t>(std::min<std::size_t>(s.payload_len, 1500 - ip_headers));

    out.layout = build_ip_frame(s, out.bytes);
    finish(out, false, true);
}

void TrafficGenerator::anomaly_packet(Anomaly a, GeneratedPacket& out) {
    Family fam = anomaly_family(a);
    if (fam == Family::none) fam = chance(rng_, config_.ipv6_share) ? Family::v6 : Family::v4;
    if (!pool_.available(Role::foreign, fam)) fam = fam == Family::v6 ? Family::v4 : Family::v6;
    IpPacketSpec s;
    s.l2 = random_l2();
    s.src = pool_.draw_available(Role::foreign, fam, rng_);
    s.dst = pool_.draw_available(Role::foreign, fam, rng_);
    s.proto = random_proto(config_.profile, fam == Family::v6, rng_);
    s.src_port = ephemeral_port(rng_);
    s.dst_port = service_port(s.proto, rng_);
    s.ip_id = static_cast<std::uint16_t>(rng_());
    s.seq = static_cast<std::uint32_t>(rng_());
    prepare_anomaly(a, s, rng_);
    if (s.src_port == 0) s.src_port = ephemeral_port(rng_);
    if (s.dst_port == 0) s.dst_port = service_port(s.proto, rng_);
    s.payload_len = payload_for(s.proto, 0);
    if (a == Anomaly::fragment_bad) s.payload_len = static_cast<std::uint16_t>(std::max<std::uint16_t>(s.payload_len, 8));
    s.payload_len = static_cast<std::uint16_t>(std::min<std::size_t>(s.payload_len, 1500 - l3_len(s) - l4_len(s)));

    out.layout = build_ip_frame(s, out.bytes);
    const auto whole = static_cast<std::uint32_t>(std::max(out.bytes.size(), min_frame_len));
    const bool cut = apply_anomaly(a, out.bytes, out.layout, rng_);
    finish(out, cut, false);
    if (cut) out.wire_len = whole;
}

void TrafficGenerator::not_ip_packet(GeneratedPacket& out) {
    const L2Spec l2 = random_l2();
    if (chance(rng_, 0.75) && pool_.available(Role::foreign, Family::v4)) {
        const std::uint32_t sender = pool_.draw_available(Role::foreign, Family::v4, rng_).v4;
        const std::uint32_t target = static_cast<std::uint32_t>(sender ^ (1u + below(rng_, 254)));  // a neighbour
        out.layout = build_arp_frame(l2, chance(rng_, 0.5), sender, target, out.bytes);
    } else {
        out.layout = build_lldp_frame(l2, static_cast<std::uint16_t>(below(rng_, 48)), out.bytes);
    }
    finish(out, false, false);
}

void TrafficGenerator::finish(GeneratedPacket& out, bool cut, bool well_formed) {
    if (!cut) pad_frame(out.bytes);
    out.wire_len = static_cast<std::uint32_t>(out.bytes.size());
    const std::size_t from = std::min(out.layout.payload, out.bytes.size());
    fill_.fill(std::span<std::uint8_t>(out.bytes).subspan(from));
    if (config_.l4_checksums && well_formed) set_l4_checksum(out.bytes, out.layout);
}

void TrafficGenerator::next(GeneratedPacket& out) {
    const Intent intent = draw_intent();
    ++counts_[intent];
    clock_ns_ += static_cast<std::int64_t>(500 + below(rng_, 1000));  // ~1 us apart, strictly increasing
    std::int64_t t = clock_ns_;
    if (is_anomaly(intent)) {
        anomaly_packet(anomaly_of(intent), out);
    } else if (intent == intent_of(DropReason::not_ip)) {
        not_ip_packet(out);
    } else if (intent == intent_of(DropReason::unauthorised)) {
        // An emitted-category packet a year before the start: outside every authorisation window.
        std::uint64_t u = below(rng_, emitted_weight_);
        Intent base = emitted_intents[0];
        for (Intent i : emitted_intents) {
            if (u < weights_[i]) {
                base = i;
                break;
            }
            u -= weights_[i];
        }
        flow_packet(base, draw_flow_of(base), out);
        t -= one_year_ns;
    } else {
        flow_packet(intent, draw_flow_of(intent), out);
    }
    out.intent = intent;
    out.time_ns = static_cast<std::uint64_t>(t);
}

}  // namespace flowsieve::gen
