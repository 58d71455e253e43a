// config.hpp: the one YAML configuration file, parsed and validated (control plane).
// Every error names `file:line: key: what is wrong`. Paths in the file are relative to its directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/category.hpp"
#include "core/result.hpp"
#include "oversight/authority_verifier.hpp"
#include "policy/endpoint_class.hpp"
#include "tables/prefix.hpp"

namespace flowsieve {

struct IndicatorSetConfig {
    std::string name;
    std::string path;
    std::string format = "list";  // list | csv | stix
    std::string id_column = "id", value_column = "value";
    std::string source;           // file:line
    std::string file_source;      // file:line of its `file` key
};

struct OperatorConfig {
    std::string id, name;
    std::vector<Prefix> prefixes;
    std::string source;
};

struct RuleConfig {
    std::string id;
    Category category = Category::transit;
    EndpointKind near = EndpointKind::foreign;
    std::string operator_id;                  // near == operator_
    std::vector<std::string> indicator_sets;  // required indicator sets
    std::vector<std::uint8_t> excluded_protocols;
    std::vector<std::uint16_t> excluded_ports;  // defaults to the e-mail ports
    std::string authorisation;
    std::string source;
    std::string authorisation_source;  // `file:line: rules[i].authorisation`, for errors about the id
};

// `oversight:`: who may sign authorisations and what a valid one needs. Absent: authorisation
// files are taken unsigned, as before, with a warning at every build.
//   oversight:
//     require_signatures: true          # default true
//     approval_quorum: 2                # distinct commission keys per approval/revocation (default 1)
//     trusted_keys:
//       - {id: commission-1, file: keys/commission-1.pub, role: commission}
//       - {id: power-1, file: keys/power-1.pub, role: operator, operator: example-power}
//     state_file: state/serials.txt     # highest serial seen per id (rollback protection)
//     revocations: [revocations/r-1.yaml]
struct OversightConfig {
    bool enabled = false;
    OversightPolicy policy;  // keys already read from their .pub files
    std::string state_file;  // empty: no rollback protection across restarts
    std::vector<std::string> revocation_files;
    std::vector<std::string> revocation_sources;  // file:line of each in the config
    std::string source;      // file:line of the section
};

// `audit:`: the tamper-evident audit log (oversight/audit_log.hpp). Absent: no audit log.
//   audit:
//     log: ../out/audit.log          # appended to across runs (O_APPEND, 0600)
//     key: keys/filter-1.key         # the filter's own Ed25519 key: signs the checkpoints
//     checkpoint_every: 64           # a signed checkpoint after this many entries (default 64)
//     interval_s: 60                 # a counters entry this often (default 60)
struct AuditConfig {
    bool enabled = false;
    std::string log_path, key_path;
    std::uint32_t checkpoint_every = 64;
    double interval_s = 60.0;
    std::string source;
};

// `output.retention_sweep`: the running filter deletes expired output files itself, from its control
// thread, recording each deletion in its own audit log (a filter that never stops holds the log's
// lock, so `flowsieve retention sweep` cannot). Absent: no sweep in the filter. Needs `audit:`.
//   output:
//     retention_sweep: {dir: ../out, interval_s: 3600}   # both optional: `retention_sweep: {}`
struct RetentionSweepConfig {
    bool enabled = false;
    std::string dir;            // empty: the output file's directory (retention_sweep_dir)
    double interval_s = 3600;   // first sweep one interval after start
    std::string source;         // file:line of the key
};

enum class OutputFormat : std::uint8_t { pcapng, pcap };
enum class TimeSource : std::uint8_t { automatic, capture, clock };

struct PortConfig {
    std::string device;  // DPDK device name (PCI address or vdev name, e.g. net_pcap0)
    std::uint16_t rx_queues = 1;
    friend bool operator==(const PortConfig&, const PortConfig&) = default;
};

// dpdk.burst's default. 64: the most a worker takes; twice 32's packets give the decision's prefetches
// (the flow cache's lines, the tables' first levels) time to land before they are read
// (perf/RESULTS.md Run 10). The benchmarks measure bursts of this size.
inline constexpr std::uint16_t default_burst = 64;

// Why captures (input.pcap or run --input) and dpdk.ports are refused together: in config.cpp and in
// the run command, each with the place it names.
inline constexpr const char* captures_beside_ports_problem =
    "captures are replayed through ports of their own, which dpdk.ports would leave unpolled";

struct Config {
    std::string path;  // the config file itself
    std::vector<std::string> domestic = {"JP"};
    std::vector<std::string> domestic_source;  // file:line of each code; empty for the default
    std::vector<std::string> country_files;
    std::vector<std::string> country_sources;  // file:line of each in the config
    std::uint32_t country_max_age_days = 400;  // older registry data is reported as stale
    std::vector<IndicatorSetConfig> indicator_sets;
    std::vector<OperatorConfig> operators;
    std::vector<std::string> authorisation_files;
    std::vector<std::string> authorisation_sources;  // file:line of each in the config
    std::vector<RuleConfig> rules;
    OversightConfig oversight;
    AuditConfig audit;

    // Data plane.
    std::vector<std::string> eal_args;        // extra EAL arguments (e.g. --vdev=..., -l 0-2)
    std::vector<std::string> input_pcaps;     // offline mode: replay these captures (net_pcap)
    std::vector<PortConfig> ports;            // explicit ports (real NICs or vdevs from eal_args)
    std::uint32_t mbufs = 16383;
    std::uint32_t mbuf_cache = 256;
    // Mbufs one lcore's mempool cache may hold before it flushes (DPDK's threshold, 1.5 times its
    // size): the pool must have more (config.cpp), and a replay more than all workers' (engine.cpp).
    std::uint64_t mbufs_a_cache_holds() const { return std::uint64_t{mbuf_cache} * 3 / 2; }
    std::uint16_t burst = default_burst;
    // Per-worker record ring (power of two). 16384 records (4 MiB) last 8 ms at 2M selected records/s,
    // a worker's rate at line rate: longer than the exporter's stalls (a flush, a scheduler tick on a
    // shared CPU). 4096 lost up to 17% of the selected records at that rate (perf/RESULTS.md Run 12).
    std::uint32_t ring_size = 16384;
    std::uint16_t rx_descriptors = 1024;
    // Entries of each worker's endpoint cache (policy/endpoint_cache.hpp; 32 bytes each); 0: none.
    std::uint32_t endpoint_cache = 32768;
    // Entries of each worker's flow verdict cache (policy/flow_cache.hpp; 64 bytes each); 0: none.
    std::uint32_t flow_cache = 16384;
    TimeSource time_source = TimeSource::automatic;

    // Output.
    std::string output_path = "out/flowsieve.pcapng";
    OutputFormat output_format = OutputFormat::pcapng;
    // `output.retention_days`: the output expires this long after it is written (its manifest and,
    // for pcapng, its section header say when); `flowsieve retention sweep` deletes it then. 0: it
    // expires as soon as it is written.
    std::uint32_t output_retention_days = 730;  // two years
    RetentionSweepConfig retention_sweep;
    double stats_interval_s = 5.0;
};

// Parses and validates. References (rule -> operator, indicator set, authorisation id) are checked
// here where possible; authorisation contents are checked when the snapshot is built.
Result<Config> load_config(const std::string& path);

// The directory the filter sweeps: retention_sweep.dir, else the output file's directory (as the
// command line may have overridden output_path; "." when it has none).
std::string retention_sweep_dir(const Config& c);

// The settings a reload does not apply (the data path, its input and output, the audit log and the
// stats interval are set up once at the start) that differ between two configs as read from their
// file, named ("dpdk.eal, output"); "" when none do.
std::string start_only_changes(const Config& running, const Config& next);

// A warning where the output's file name ends in the other format's extension (".pcap" for
// pcapng, ".pcapng" for pcap), which tools that go by the name misread; else "". The file is
// written in output.format whatever its name.
std::string output_name_warning(const Config& c);

// Resolves `p` against the directory of `config_path` unless absolute.
std::string resolve_path(const std::string& config_path, const std::string& p);

}  // namespace flowsieve
