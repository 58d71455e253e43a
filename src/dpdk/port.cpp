// port.cpp: rte_eth_dev_configure with symmetric RSS, and RX timestamps where they are capture times.
#include "dpdk/port.hpp"

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf_dyn.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "control/capture_info.hpp"

namespace flowsieve {

namespace {

template <std::size_t N>
constexpr std::array<std::uint8_t, N> repeated_6d5a() {
    std::array<std::uint8_t, N> k{};
    for (std::size_t i = 0; i < N; i += 2) {
        k[i] = 0x6d;
        k[i + 1] = 0x5a;
    }
    return k;
}

// Static: ethdev keeps the pointer in dev_conf and some PMDs read the key again at start.
constexpr auto symmetric_key_storage = repeated_6d5a<rss_key_max_len>();

}  // namespace

std::array<std::uint8_t, rss_key_len> symmetric_rss_key() { return repeated_6d5a<rss_key_len>(); }

RxTimestamp rx_timestamp_field() {
    static RxTimestamp ts = [] {
        RxTimestamp t;
        if (rte_mbuf_dyn_rx_timestamp_register(&t.offset, &t.flag) != 0) t = {};
        return t;
    }();
    return ts;
}

namespace {

// Some PMDs accept mq_mode RSS but ignore the key given to rte_eth_dev_configure (net_null keeps
// its default Microsoft key, which is not symmetric), so the key is set again explicitly and read
// back: several queues are only safe when the device provably holds the symmetric key.
Status confirm_symmetric_key(std::uint16_t port_id, rte_eth_rss_conf rss) {
    int rc = rte_eth_dev_rss_hash_update(port_id, &rss);
    if (rc != 0 && rc != -ENOTSUP)
        return Error{std::string("cannot program the symmetric RSS key: ") + rte_strerror(-rc)};
    std::array<std::uint8_t, rss_key_max_len> got{};
    rte_eth_rss_conf back{};
    back.rss_key = got.data();
    back.rss_key_len = static_cast<std::uint8_t>(got.size());
    rc = rte_eth_dev_rss_hash_conf_get(port_id, &back);
    if (rc != 0)
        return Error{std::string("cannot read the RSS key back to confirm it is symmetric (") + rte_strerror(-rc) +
                     "); both directions of a flow must reach one worker"};
    if (!std::equal(got.begin(), got.begin() + rss.rss_key_len, rss.rss_key))
        return Error{"the device does not hold the symmetric RSS key that was programmed; both directions of a "
                     "flow must reach one worker"};
    return Ok{};
}

bool is_net_pcap(const rte_eth_dev_info& dev) {
    return dev.driver_name != nullptr && std::string_view(dev.driver_name) == "net_pcap";
}

// Whether the driver's RX timestamps are Unix nanoseconds, as a packet's time must be (it is
// checked against authorisation windows and written to the output). net_pcap's are: each packet
// carries its pcap record's time (a file's capture time, a live interface's kernel receive time). A
// NIC's hardware timestamp counts the device's own clock, in its own units from its own epoch
// (ethdev does not normalise it), so those ports take their time from the host clock instead.
bool stamps_unix_ns(const rte_eth_dev_info& dev) { return is_net_pcap(dev); }

// The parser takes Ethernet frames, and net_pcap hands on a file's or an interface's frames as they
// are: one that reads another link type is refused (control/capture_info.hpp). Checked here, on the
// port the EAL made, so that every spelling of its device (--vdev, -a, a bus prefix) is covered.
Status check_pcap_link_types(const rte_eth_dev_info& dev, const std::string& port) {
    if (!is_net_pcap(dev)) return Ok{};
    const rte_devargs* devargs = rte_dev_devargs(dev.device);
    if (devargs == nullptr || devargs->args == nullptr) return Ok{};
    for (const PcapSource& src : pcap_sources(devargs->args)) {
        auto checked = check_pcap_source_link_type(src);
        if (!checked) return Error{port + ": " + checked.error().message};
        if (src.key == "rx_pcap" && pcap_file_is_snapped(src.value))
            spdlog::warn("{}: rx_pcap={}: its records are cut by the capture's snap length, and net_pcap gives each "
                         "packet its captured length as its length: the output records that as their original length. "
                         "Give the file as input.pcap (--input), which keeps each packet's wire length",
                         port, printable_text(src.value));
        if (!checked.value())
            spdlog::warn("{}: {}={}: its link type cannot be checked (a pipe or device, or an interface the kernel "
                         "does not list): net_pcap hands on frames as they are, so give it Ethernet only",
                         port, src.key, src.value);
    }
    return Ok{};
}

}  // namespace

Result<PortInfo> setup_port(std::uint16_t port_id, const PortSetup& setup, rte_mempool* pool) {
    PortInfo info;
    info.port_id = port_id;
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(port_id, name);
    info.name = name;
    auto fail = [&](const std::string& what, int rc) {
        return Error{"port " + std::to_string(port_id) + " (" + info.name + "): " + what + ": " + rte_strerror(-rc)};
    };

    rte_eth_dev_info dev{};
    if (int rc = rte_eth_dev_info_get(port_id, &dev); rc != 0) return fail("cannot read device info", rc);
    if (auto st = check_pcap_link_types(dev, "port " + std::to_string(port_id) + " (" + info.name + ")"); !st) return st.error();
    if (setup.rx_queues > dev.max_rx_queues)
        return Error{"port " + std::to_string(port_id) + " (" + info.name + "): rx_queues: " +
                     std::to_string(setup.rx_queues) + " > device max " + std::to_string(dev.max_rx_queues)};

    // A key of another length than the device's is skipped by some PMDs (i40e wants 52 bytes and
    // keeps its default, asymmetric key), so the key takes the device's length.
    const std::size_t key_len = dev.hash_key_size != 0 ? dev.hash_key_size : rss_key_len;
    if (setup.rx_queues > 1 && key_len > rss_key_max_len)
        return Error{"port " + std::to_string(port_id) + " (" + info.name + "): RSS key of " +
                     std::to_string(key_len) + " bytes is longer than the supported " + std::to_string(rss_key_max_len)};
    rte_eth_conf conf{};
    const std::uint64_t want_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP;
    std::uint64_t hf = want_hf & dev.flow_type_rss_offloads;
    rte_eth_rss_conf rss{};
    rss.rss_key = const_cast<std::uint8_t*>(symmetric_key_storage.data());  // ethdev never writes it
    rss.rss_key_len = static_cast<std::uint8_t>(key_len);
    rss.rss_hf = hf;
    if (setup.rx_queues > 1 && hf != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf = rss;
    } else if (setup.rx_queues > 1) {
        return Error{"port " + std::to_string(port_id) + " (" + info.name + "): rx_queues: " +
                     std::to_string(setup.rx_queues) +
                     " queues need RSS, which this device lacks (both directions of a flow must reach one worker)"};
    }
    if (setup.want_timestamps && stamps_unix_ns(dev) && (dev.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)) {
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
        info.rx_timestamp = rx_timestamp_field().offset >= 0;
    }
    // One TX queue: some PMDs refuse to start without one; flowsieve never transmits the mbufs.
    if (int rc = rte_eth_dev_configure(port_id, setup.rx_queues, 1, &conf); rc != 0) return fail("configure", rc);
    std::uint16_t nb_rxd = setup.rx_descriptors, nb_txd = 512;
    if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd); rc != 0) return fail("descriptors", rc);
    int socket = rte_eth_dev_socket_id(port_id);
    unsigned sock = socket < 0 ? 0u : static_cast<unsigned>(socket);
    for (std::uint16_t q = 0; q < setup.rx_queues; ++q) {
        rte_eth_rxconf rxconf = dev.default_rxconf;
        rxconf.offloads = conf.rxmode.offloads;
        if (int rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, sock, &rxconf, pool); rc != 0)
            return fail("rx queue " + std::to_string(q), rc);
    }
    if (int rc = rte_eth_tx_queue_setup(port_id, 0, nb_txd, sock, nullptr); rc != 0) return fail("tx queue", rc);
    if (int rc = rte_eth_dev_start(port_id); rc != 0) return fail("start", rc);
    if (conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
        if (auto s = confirm_symmetric_key(port_id, rss); !s) {
            rte_eth_dev_stop(port_id);
            return Error{"port " + std::to_string(port_id) + " (" + info.name + "): rx_queues: " +
                         std::to_string(setup.rx_queues) + ": " + s.error().message};
        }
        info.rss = true;
    }
    rte_eth_promiscuous_enable(port_id);  // a mirror port sees other hosts' traffic; failure is harmless
    info.rx_queues = setup.rx_queues;
    return info;
}

void stop_port(std::uint16_t port_id) {
    rte_eth_dev_stop(port_id);
    rte_eth_dev_close(port_id);
}

}  // namespace flowsieve
