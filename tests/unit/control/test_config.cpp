// test_config.cpp: the YAML config: a config using every key, and one bad config per class of error,
// each refused with the exact `file:line: key: what` message.
#include <gtest/gtest.h>

#include <filesystem>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "control/authorisation_file.hpp"
#include "control/capture_info.hpp"
#include "control/config.hpp"
#include "control_test_util.hpp"
#include "policy/rule.hpp"

namespace flowsieve::testing {
namespace {

const char* const top_keys =
    "domestic, countries, indicators, operators, authorisations, rules, input, dpdk, output, stats, oversight, audit";

class ConfigFile : public ::testing::Test {
protected:
    Result<Config> load(const std::string& yaml) {
        path_ = dir_.write("etc/flowsieve.yaml", yaml);
        return load_config(path_);
    }
    // `<config path>:<line of marker>: what`
    std::string at(const std::string& yaml, const std::string& marker, const std::string& what) const {
        return path_ + ":" + std::to_string(line_of(yaml, marker)) + ": " + what;
    }
    TempDir dir_;
    std::string path_;
};

const char* const every_key = R"(# every key of the config, each with a non-default value
domestic: [jp, KR]
countries:
  files:
    - tables/world-v4.csv
    - /abs/world-v6.csv
  max_age_days: 30
indicators:
  - name: ipsum
    file: feeds/ipsum.txt
  - name: scanners
    file: ../feeds/scanners.txt
    format: list
  - name: curated
    file: curated.csv
    format: csv
    id_column: ref
    value_column: address
operators:
  - id: power
    name: Power utility
    prefixes: [1.0.16.0/24, 2001:218:2008:1::/64]
  - id: rail
    prefixes: 1.0.17.0/24
authorisations:
  - auth/transit.yaml
  - /abs/auth/consent.yaml
rules:
  - id: transit
    category: transit
    between: [foreign, foreign]
    exclude_ports: [25, 8080]
    exclude_protocols: [47, 50]
    authorisation: A-1
  - id: power
    category: operator
    between: [operator:power, foreign]
    authorisation: C-1
  - id: threat
    category: threat-linked
    between: [domestic, foreign]
    indicator_sets: [ipsum, curated]
    exclude_ports: []
    authorisation: A-2
dpdk:
  eal: [--no-huge, -l, 0-2]
  ports:
    - device: net_pcap0
      rx_queues: 2
    - device: 0000:01:00.0
  mbufs: 4095
  mbuf_cache: 128
  burst: 16
  ring_size: 1024
  endpoint_cache: 4096
  flow_cache: 2048
  rx_descriptors: 512
  time_source: capture
output:
  path: out/selected.pcap
  format: pcap
stats:
  interval_s: 2.5
)";

TEST_F(ConfigFile, EveryKeyIsRead) {
    auto r = load(every_key);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Config& c = r.value();
    const std::string etc = dir_.path() + "/etc/";
    EXPECT_EQ(c.path, path_);
    EXPECT_EQ(c.domestic, (std::vector<std::string>{"JP", "KR"})) << "codes are upper-cased";
    // Relative paths resolve against the config's directory; absolute ones are kept.
    EXPECT_EQ(c.country_files, (std::vector<std::string>{etc + "tables/world-v4.csv", "/abs/world-v6.csv"}));
    EXPECT_EQ(c.country_max_age_days, 30u);
    ASSERT_EQ(c.indicator_sets.size(), 3u);
    EXPECT_EQ(c.indicator_sets[0].name, "ipsum");
    EXPECT_EQ(c.indicator_sets[0].path, etc + "feeds/ipsum.txt");
    EXPECT_EQ(c.indicator_sets[0].format, "list");
    EXPECT_EQ(c.indicator_sets[0].source, path_ + ":" + std::to_string(line_of(every_key, "name: ipsum")));
    EXPECT_EQ(c.indicator_sets[1].path, dir_.path() + "/feeds/scanners.txt") << "normalised";
    EXPECT_EQ(c.indicator_sets[2].format, "csv");
    EXPECT_EQ(c.indicator_sets[2].id_column, "ref");
    EXPECT_EQ(c.indicator_sets[2].value_column, "address");
    ASSERT_EQ(c.operators.size(), 2u);
    EXPECT_EQ(c.operators[0].id, "power");
    EXPECT_EQ(c.operators[0].name, "Power utility");
    ASSERT_EQ(c.operators[0].prefixes.size(), 2u);
    EXPECT_EQ(to_string(c.operators[0].prefixes[0]), "1.0.16.0/24");
    EXPECT_EQ(to_string(c.operators[0].prefixes[1]), "2001:218:2008:1::/64");
    EXPECT_EQ(c.operators[1].name, "rail") << "the name defaults to the id";
    ASSERT_EQ(c.operators[1].prefixes.size(), 1u) << "a single prefix may be a scalar";
    EXPECT_EQ(c.authorisation_files, (std::vector<std::string>{etc + "auth/transit.yaml", "/abs/auth/consent.yaml"}));

    ASSERT_EQ(c.rules.size(), 3u);
    const RuleConfig& t = c.rules[0];
    EXPECT_EQ(t.id, "transit");
    EXPECT_EQ(t.category, Category::transit);
    EXPECT_EQ(t.near, EndpointKind::foreign);
    // The e-mail ports stay excluded whatever a rule lists: its ports come on top of them.
    std::vector<std::uint16_t> email(std::begin(default_excluded_ports), std::end(default_excluded_ports));
    std::vector<std::uint16_t> with_8080 = email;
    with_8080.insert(with_8080.end(), {25, 8080});
    EXPECT_EQ(t.excluded_ports, with_8080);
    EXPECT_EQ(t.excluded_protocols, (std::vector<std::uint8_t>{47, 50}));
    EXPECT_EQ(t.authorisation, "A-1");
    EXPECT_EQ(t.source, path_ + ":" + std::to_string(line_of(every_key, "id: transit")));
    const RuleConfig& o = c.rules[1];
    EXPECT_EQ(o.category, Category::operator_);
    EXPECT_EQ(o.near, EndpointKind::operator_) << "the pair is unordered";
    EXPECT_EQ(o.operator_id, "power");
    EXPECT_EQ(o.excluded_ports, std::vector<std::uint16_t>(std::begin(default_excluded_ports), std::end(default_excluded_ports)))
        << "no exclude_ports: the e-mail ports";
    EXPECT_TRUE(o.excluded_protocols.empty());
    const RuleConfig& th = c.rules[2];
    EXPECT_EQ(th.category, Category::threat_linked);
    EXPECT_EQ(th.near, EndpointKind::domestic);
    EXPECT_EQ(th.indicator_sets, (std::vector<std::string>{"ipsum", "curated"}));
    EXPECT_EQ(th.excluded_ports, email) << "an explicit empty list cannot let e-mail through";

    EXPECT_EQ(c.eal_args, (std::vector<std::string>{"--no-huge", "-l", "0-2"}));
    ASSERT_EQ(c.ports.size(), 2u);
    EXPECT_EQ(c.ports[0].device, "net_pcap0");
    EXPECT_EQ(c.ports[0].rx_queues, 2);
    EXPECT_EQ(c.ports[1].device, "0000:01:00.0");
    EXPECT_EQ(c.ports[1].rx_queues, 1);
    EXPECT_EQ(c.mbufs, 4095u);
    EXPECT_EQ(c.mbuf_cache, 128u);
    EXPECT_EQ(c.burst, 16);
    EXPECT_EQ(c.ring_size, 1024u);
    EXPECT_EQ(c.endpoint_cache, 4096u);
    EXPECT_EQ(c.flow_cache, 2048u);
    EXPECT_EQ(c.rx_descriptors, 512);
    EXPECT_EQ(c.time_source, TimeSource::capture);
    EXPECT_EQ(c.output_path, etc + "out/selected.pcap");
    EXPECT_EQ(c.output_format, OutputFormat::pcap);
    EXPECT_DOUBLE_EQ(c.stats_interval_s, 2.5);
}

// input.pcap apart from EveryKeyIsRead's config: it cannot be combined with that config's dpdk.ports.
TEST_F(ConfigFile, InputCapturesResolveAgainstTheFile) {
    auto r = load("countries:\n  files: world.csv\ninput:\n  pcap: [in/a.pcap, /srv/b.pcapng]\n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().input_pcaps, (std::vector<std::string>{dir_.path() + "/etc/in/a.pcap", "/srv/b.pcapng"}));
}

TEST_F(ConfigFile, APoolOneMoreThanItsCacheCanHoldIsAccepted) {  // the bound, not one stricter
    auto r = load("countries:\n  files: world.csv\ndpdk:\n  mbufs: 769\n  mbuf_cache: 512\n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().mbufs, 769u);
}

TEST_F(ConfigFile, MinimalConfigTakesTheDefaults) {
    auto r = load("countries:\n  files: world.csv\n");
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Config& c = r.value();
    const Config defaults;
    EXPECT_EQ(c.domestic, (std::vector<std::string>{"JP"}));
    EXPECT_EQ(c.country_files, (std::vector<std::string>{dir_.path() + "/etc/world.csv"}));
    EXPECT_TRUE(c.rules.empty());
    EXPECT_TRUE(c.indicator_sets.empty());
    EXPECT_EQ(c.ring_size, defaults.ring_size);
    EXPECT_EQ(c.endpoint_cache, defaults.endpoint_cache);
    EXPECT_EQ(c.flow_cache, defaults.flow_cache);
    EXPECT_EQ(c.burst, defaults.burst);
    EXPECT_EQ(c.time_source, TimeSource::automatic);
    EXPECT_EQ(c.output_format, OutputFormat::pcapng);
    // The default output is not in the file, so it is not relative to the file: it stays as it is.
    EXPECT_EQ(c.output_path, defaults.output_path);
}

struct Bad {
    const char* name;
    std::string yaml;
    const char* marker;  // text on the line the error must name
    std::string what;    // `key: what`
};

const char* const base = "countries:\n  files: [world.csv]\n";
const char* const with_sets_and_operator = R"(countries:
  files: [world.csv]
indicators:
  - name: ipsum
    file: ipsum.txt
operators:
  - id: power
    prefixes: [1.0.16.0/24]
)";

std::string rule(const std::string& body) { return std::string(with_sets_and_operator) + "rules:\n  - id: r1\n" + body; }

std::vector<Bad> bad_configs() {
    return {
        {"unknown top-level key", std::string(base) + "colour: red\n", "colour",
         std::string("colour: unknown key (expected one of: ") + top_keys + ")"},
        {"unknown nested key", std::string(base) + "  max_age: 3\n", "max_age",
         "countries.max_age: unknown key (expected one of: files, max_age_days)"},
        {"unknown rule key", rule("    category: transit\n    between: [foreign, foreign]\n    exclude_port: [25]\n    authorisation: A\n"),
         "exclude_port", "rules[0].exclude_port: unknown key (expected one of: id, category, between, indicator_sets, "
                         "exclude_ports, exclude_protocols, authorisation)"},
        {"unknown dpdk key", std::string(base) + "dpdk:\n  rings: 4\n", "rings",
         "dpdk.rings: unknown key (expected one of: eal, ports, mbufs, mbuf_cache, burst, ring_size, rx_descriptors, time_source, endpoint_cache, flow_cache)"},
        {"missing countries", "domestic: [JP]\n", "domestic", "countries: missing: the country table files are required"},
        {"missing countries.files", "countries:\n  max_age_days: 10\n", "max_age_days", "countries.files: missing"},
        {"empty countries.files", "countries:\n  files: []\n", "files", "countries.files: at least one file is required"},
        {"bad country code", std::string("domestic:\n  - JP\n  - J1\n") + base, "J1",
         "domestic: 'J1' is not a two-letter country code"},
        {"three-letter country code", std::string("domestic: JPN\n") + base, "JPN",
         "domestic: 'JPN' is not a two-letter country code"},
        // A typo of a real code made every Japanese address foreign: JP-JP traffic was emitted as transit.
        {"domestic code not assigned", std::string("domestic: [JP, JA]\n") + base, "JA",
         "domestic: 'JA' is not an assigned ISO 3166-1 country code"},
        {"domestic registry placeholder", std::string("domestic:\n  - ZZ\n") + base, "ZZ",
         "domestic: 'ZZ' is not an assigned ISO 3166-1 country code"},
        {"no domestic country", std::string("domestic: []\n") + base, "domestic",
         "domestic: at least one domestic country code is required"},
        {"bad category", rule("    category: transitt\n    between: [foreign, foreign]\n    authorisation: A\n"), "transitt",
         "rules[0].category: 'transitt' is not transit, operator or threat-linked"},
        {"transit rule with a domestic side", rule("    category: transit\n    between: [foreign, domestic]\n    authorisation: A\n"),
         "between", "rules[0].between: a transit rule covers [foreign, foreign] only"},
        {"transit rule with an operator side",
         rule("    category: transit\n    between: [operator:power, foreign]\n    authorisation: A\n"), "between",
         "rules[0].between: a transit rule covers [foreign, foreign] only"},
        {"domestic-domestic rule",
         rule("    category: threat-linked\n    between: [domestic, domestic]\n    indicator_sets: [ipsum]\n    authorisation: A\n"),
         "between", "rules[0].between: domestic-to-domestic traffic is never in scope and cannot be selected"},
        {"operator-domestic rule", rule("    category: operator\n    between: [operator:power, domestic]\n    authorisation: A\n"),
         "between", "rules[0].between: domestic-to-domestic traffic is never in scope and cannot be selected"},
        {"operator-operator rule",
         rule("    category: operator\n    between: [operator:power, operator:power]\n    authorisation: A\n"), "between",
         "rules[0].between: domestic-to-domestic traffic is never in scope and cannot be selected"},
        {"unknown endpoint class", rule("    category: transit\n    between: [foreign, alien]\n    authorisation: A\n"), "between",
         "rules[0].between: 'alien' is not an endpoint class (foreign, domestic, operator:<id>)"},
        {"between is not a pair", rule("    category: transit\n    between: [foreign]\n    authorisation: A\n"), "between",
         "rules[0].between: expected a pair such as [foreign, domestic]"},
        {"operator rule without an operator", rule("    category: operator\n    between: [foreign, foreign]\n    authorisation: A\n"),
         "between", "rules[0].between: an operator rule covers [foreign, operator:<id>] only"},
        {"unknown operator", rule("    category: operator\n    between: [foreign, operator:gas]\n    authorisation: A\n"), "between",
         "rules[0].between: no operator with id 'gas'"},
        {"threat-linked rule with an operator side",
         rule("    category: threat-linked\n    between: [foreign, operator:power]\n    indicator_sets: [ipsum]\n    authorisation: A\n"),
         "between", "rules[0].between: a threat-linked rule covers [foreign, domestic] only"},
        {"threat-linked rule without indicator sets",
         rule("    category: threat-linked\n    between: [foreign, domestic]\n    authorisation: A\n"), "id: r1",
         "rules[0].indicator_sets: a threat-linked rule needs at least one indicator set"},
        {"unknown indicator set",
         rule("    category: threat-linked\n    between: [foreign, domestic]\n    indicator_sets: [ipsum, lazarus]\n    authorisation: A\n"),
         "indicator_sets", "rules[0].indicator_sets: no indicator set named 'lazarus'"},
        {"rule without authorisation", rule("    category: transit\n    between: [foreign, foreign]\n"), "id: r1",
         "rules[0].authorisation: missing"},
        {"rule without category", rule("    between: [foreign, foreign]\n    authorisation: A\n"), "id: r1",
         "rules[0].category: missing"},
        {"duplicate rule id",
         rule("    category: transit\n    between: [foreign, foreign]\n    authorisation: A\n"
              "  - id: r1  # again\n    category: transit\n    between: [foreign, foreign]\n    authorisation: A\n"),
         "# again", "rules[1].id: duplicate rule 'r1'"},
        {"excluded port out of range",
         rule("    category: transit\n    between: [foreign, foreign]\n    exclude_ports: [25, 70000]\n    authorisation: A\n"),
         "exclude_ports", "rules[0].exclude_ports: 70000 > maximum 65535"},
        {"excluded port by name",
         rule("    category: transit\n    between: [foreign, foreign]\n    exclude_ports: [smtp]\n    authorisation: A\n"),
         "exclude_ports", "rules[0].exclude_ports: 'smtp' is not a non-negative integer"},
        {"excluded protocol out of range",
         rule("    category: transit\n    between: [foreign, foreign]\n    exclude_protocols: [256]\n    authorisation: A\n"),
         "exclude_protocols", "rules[0].exclude_protocols: 256 > maximum 255"},
        {"bad operator prefix", std::string(base) + "operators:\n  - id: power\n    prefixes: [1.0.16.0/24, not-a-prefix]\n",
         "not-a-prefix", "operators[0].prefixes[1]: 'not-a-prefix' is not an IP address or prefix"},
        {"operator prefix too long", std::string(base) + "operators:\n  - id: power\n    prefixes:\n      - 1.0.16.0/24\n      - 1.0.16.0/33\n",
         "/33", "operators[0].prefixes[1]: '1.0.16.0/33': prefix length must be 0..32"},
        {"operator without prefixes", std::string(base) + "operators:\n  - id: power\n    prefixes: []\n", "prefixes",
         "operators[0].prefixes: an operator needs at least one prefix"},
        // The later operator would own the addresses silently, and its consent their traffic.
        {"prefix of two operators",
         std::string(base) + "operators:\n  - id: power\n    prefixes: [1.0.16.0/24]\n  - id: water\n    prefixes: [1.0.17.0/24, 1.0.16.0/24]  # shared\n",
         "# shared", "operators[1].prefixes[1]: 1.0.16.0/24 is also a prefix of operator 'power': an address belongs to one operator"},
        {"duplicate operator id",
         std::string(base) + "operators:\n  - id: power\n    prefixes: [1.0.16.0/24]\n  - id: power  # again\n    prefixes: [1.0.17.0/24]\n",
         "# again", "operators[1].id: duplicate operator 'power'"},
        {"duplicate indicator set",
         std::string(base) + "indicators:\n  - name: ipsum\n    file: a.txt\n  - name: ipsum  # again\n    file: b.txt\n", "# again",
         "indicators[1].name: duplicate indicator set 'ipsum'"},
        {"indicator set without file", std::string(base) + "indicators:\n  - name: ipsum\n", "name: ipsum",
         "indicators[0]: needs both name and file"},
        {"bad indicator format", std::string(base) + "indicators:\n  - name: ipsum\n    file: a.txt\n    format: json\n", "json",
         "indicators[0].format: expected list, csv or stix"},
        {"ring size not a power of two", std::string(base) + "dpdk:\n  ring_size: 1000\n", "ring_size",
         "dpdk.ring_size: 1000 is not a power of two >= 64"},
        {"ring size too small", std::string(base) + "dpdk:\n  ring_size: 32\n", "ring_size",
         "dpdk.ring_size: 32 is not a power of two >= 64"},
        {"endpoint cache not a power of two", std::string(base) + "dpdk:\n  endpoint_cache: 1000\n", "endpoint_cache",
         "dpdk.endpoint_cache: 1000 is not 0 or a power of two >= 2"},
        {"flow cache of one entry", std::string(base) + "dpdk:\n  flow_cache: 1\n", "flow_cache",
         "dpdk.flow_cache: 1 is not 0 or a power of two >= 2"},
        {"flow cache too large", std::string(base) + "dpdk:\n  flow_cache: 33554432\n", "flow_cache",
         "dpdk.flow_cache: 33554432 > maximum 16777216"},
        {"burst zero", std::string(base) + "dpdk:\n  burst: 0\n", "burst", "dpdk.burst: must be between 1 and 64"},
        {"burst too large", std::string(base) + "dpdk:\n  burst: 65\n", "burst", "dpdk.burst: 65 > maximum 64"},
        {"burst negative", std::string(base) + "dpdk:\n  burst: -1\n", "burst", "dpdk.burst: '-1' is not a non-negative integer"},
        {"too few mbufs", std::string(base) + "dpdk:\n  mbufs: 40\n  burst: 32\n", "mbufs", "dpdk.mbufs: 40 is too few for two bursts of 32 (dpdk.burst): a worker holds one while the driver fills the next"},
        // rte_mempool_create refused these at run time, after check-config had said OK.
        {"too few mbufs for the default cache", std::string(base) + "dpdk:\n  burst: 32\n  mbufs: 384\n", "mbufs",
         "dpdk.mbufs: 384 is too few for a per-lcore cache of 256 (dpdk.mbuf_cache): a cache holds up to 1.5 times that "
         "many, and the pool needs more"},
        {"too few mbufs for the cache given", std::string(base) + "dpdk:\n  ring_size: 1024\n  mbuf_cache: 512\n  mbufs: 768\n",
         "mbufs: 768", "dpdk.mbufs: 768 is too few for a per-lcore cache of 512 (dpdk.mbuf_cache): a cache holds up to 1.5 "
                      "times that many, and the pool needs more"},
        {"a cache too large for the default pool", std::string(base) + "dpdk:\n  burst: 32\n  mbuf_cache: 512\n  mbufs: 700\n",
         "mbufs: 700", "dpdk.mbufs: 700 is too few for a per-lcore cache of 512 (dpdk.mbuf_cache): a cache holds up to 1.5 "
                       "times that many, and the pool needs more"},
        // Enough for the pool, not for a replay beside one worker's cache: run refused it after
        // check-config had said OK.
        {"too few mbufs to replay", std::string(base) + "input:\n  pcap: [a.pcap]\ndpdk:\n  burst: 32\n  mbufs: 448\n",
         "mbufs: 448", "dpdk.mbufs: 448 is too few to replay input.pcap: one worker's cache (dpdk.mbuf_cache 256) holds up "
                       "to 384 and the replay needs two bursts beyond: give more than 448 (run checks again with its "
                       "worker count)"},
        // A replay port's ring of no descriptors held nothing: an offline run read no packet, exit 0.
        {"zero rx descriptors", std::string(base) + "dpdk:\n  rx_descriptors: 0\n", "rx_descriptors",
         "dpdk.rx_descriptors: must be between 1 and 32768"},
        // The captures' replay ports were left unpolled: their packets were never read, exit 0.
        {"captures and ports", std::string(base) + "input:\n  pcap: [a.pcap]\ndpdk:\n  ports:\n    - device: net_pcap0\n",
         "- device", "dpdk.ports: cannot be combined with input.pcap (captures are replayed through ports of their own, "
                     "which dpdk.ports would leave unpolled): give one or the other"},
        {"zero rx queues", std::string(base) + "dpdk:\n  ports:\n    - device: net_pcap0\n      rx_queues: 0\n", "rx_queues",
         "dpdk.ports[0].rx_queues: must be >= 1"},
        // run failed with DPDK's "Device or resource busy" after check-config had said OK.
        {"a device twice", std::string(base) + "dpdk:\n  ports:\n    - device: net_null0\n    - {device: net_null0, rx_queues: 2}\n",
         "rx_queues: 2}", "dpdk.ports[1].device: 'net_null0' is dpdk.ports[0] already (give one entry, with its rx_queues)"},
        {"port without device", std::string(base) + "dpdk:\n  ports:\n    - rx_queues: 2\n", "rx_queues", "dpdk.ports[0].device: missing"},
        {"bad time source", std::string(base) + "dpdk:\n  time_source: gps\n", "gps", "dpdk.time_source: expected auto, capture or clock"},
        {"bad output format", std::string(base) + "output:\n  format: csv\n", "format: csv", "output.format: expected pcapng or pcap"},
        {"zero stats interval", std::string(base) + "stats:\n  interval_s: 0\n", "interval_s", "stats.interval_s: must be > 0"},
        {"stats interval not a number", std::string(base) + "stats:\n  interval_s: soon\n", "interval_s",
         "stats.interval_s: 'soon' is not a number"},
        // nan passes every range check (no comparison with it is true): audit.interval_s: nan
        // stopped the audit's counters entries.
        {"stats interval nan", std::string(base) + "stats:\n  interval_s: nan\n", "interval_s",
         "stats.interval_s: 'nan' is not a finite number"},
        {"stats interval inf", std::string(base) + "stats:\n  interval_s: inf\n", "interval_s",
         "stats.interval_s: 'inf' is not a finite number"},
        {"rules not a list", std::string(base) + "rules:\n  id: r1\n", "id: r1", "rules: expected a list of rules"},
        {"top level not a mapping", "- countries\n", "countries", "expected a mapping at the top level"},
        // yaml-cpp keeps a repeated key and answers with the first: an override appended further
        // down was ignored in silence.
        {"a key given twice", std::string("domestic: [JP]\n") + base + "domestic: [US]  # again\n", "# again",
         "domestic: given twice (first on line 1)"},
        {"a nested key given twice", std::string(base) + "  files: [other.csv]  # again\n", "# again",
         "countries.files: given twice (first on line 2)"},
        {"a rule key given twice",
         rule("    category: transit\n    between: [foreign, foreign]\n    authorisation: A\n    authorisation: B  # again\n"),
         "# again", "rules[0].authorisation: given twice (first on line 13)"},
        // Printed with %s, a NUL in the quoted value cut the message short there.
        {"a control byte in a value", std::string(base) + "dpdk:\n  burst: \"1\\0\\x01tail\"\n", "burst",
         "dpdk.burst: '1\\x00\\x01tail' is not a non-negative integer"},
        {"a key that is a list", std::string(base) + "[a, b]: 1\n", "[a, b]", "a key must be a plain word, not a list or a map"},
        // Ids go into every record's comment, which pcapng bounds: records were lost at export.
        {"rule id too long", std::string(with_sets_and_operator) + "rules:\n  - id: " + std::string(257, 'r') +
                                 "\n    category: transit\n    between: [foreign, foreign]\n    authorisation: A\n",
         "rrrr", "rules[0].id: longer than 256 bytes (257)"},
        {"empty rule id", std::string(with_sets_and_operator) + "rules:\n  - id: ''\n    category: transit\n"
                                                                 "    between: [foreign, foreign]\n    authorisation: A\n",
         "id: ''", "rules[0].id: must not be empty"},
        {"indicator set name too long", std::string(base) + "indicators:\n  - name: " + std::string(300, 's') + "\n    file: a.txt\n",
         "ssss", "indicators[0].name: longer than 256 bytes (300)"},
    };
}

TEST_F(ConfigFile, EachErrorNamesFileLineKeyAndWhat) {
    for (const Bad& b : bad_configs()) {
        SCOPED_TRACE(b.name);
        auto r = load(b.yaml);
        ASSERT_NE(line_of(b.yaml, b.marker), 0u) << "test bug: marker not in the config";
        EXPECT_EQ(error_of(r), at(b.yaml, b.marker, b.what));
    }
}

TEST_F(ConfigFile, HostBitsInAnOperatorPrefixAreRefused) {
    const std::string yaml = std::string(base) + "operators:\n  - id: power\n    prefixes: [1.0.16.9/24]\n";
    const std::string e = error_of(load(yaml));
    EXPECT_EQ(e.rfind(at(yaml, "1.0.16.9/24", "operators[0].prefixes[0]: '1.0.16.9/24' has host bits set"), 0), 0u) << e;
}

TEST_F(ConfigFile, TooManyIndicatorSets) {
    std::string yaml = std::string(base) + "indicators:\n";
    for (int i = 0; i < 33; ++i) yaml += "  - {name: set" + std::to_string(i) + ", file: s.txt}\n";
    const std::string e = error_of(load(yaml));
    EXPECT_EQ(e, at(yaml, "name: set0", "indicators: at most 32 indicator sets"));
    // 32 is allowed.
    yaml.erase(yaml.rfind("  - {name: set32"));
    auto ok = load(yaml);
    EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST_F(ConfigFile, SyntaxErrorNamesItsLine) {
    const std::string yaml = std::string(base) + "rules:\n  - id: [unclosed\n";
    const std::string e = error_of(load(yaml));
    EXPECT_EQ(e.rfind(path_ + ":", 0), 0u) << e;
    EXPECT_NE(e.find(": YAML syntax: "), std::string::npos) << e;
}

TEST_F(ConfigFile, NestingTooDeepSaysSo) {
    // yaml-cpp 0.7 stops at a depth of 500 (about as many levels of brackets) with only "bad file"
    // to say.
    const std::string e = error_of(load("domestic: " + std::string(5000, '[') + std::string(5000, ']') + "\n"));
    EXPECT_EQ(e, path_ + ":1: YAML syntax: nested deeper than the reader takes (hundreds of levels)");
}

TEST_F(ConfigFile, MissingFileIsAnError) {
    const std::string p = dir_.file("absent.yaml");
    EXPECT_EQ(error_of(load_config(p)), p + ": cannot open file: No such file or directory");
}

TEST_F(ConfigFile, ADirectoryIsAnErrorNotAnException) {
    // Reading a directory through a stream throws std::ios_base::failure inside yaml-cpp, which
    // once escaped as far as std::terminate (check-config, and a reload in a running filter).
    const std::string d = dir_.file("conf.d");
    std::filesystem::create_directory(d);
    EXPECT_EQ(error_of(load_config(d)), d + ": is a directory, not a file");
    EXPECT_EQ(error_of(load_authorisation_file(d)), d + ": is a directory, not a file");
    // A device that never ends is read no further than any config could be.
    EXPECT_EQ(error_of(load_config("/dev/zero")), "/dev/zero: not a regular file, and longer than 64 MiB");
}

TEST(CaptureInfo, ANamedPipeIsRefusedNotWaitedFor) {
    // libpcap's open of a FIFO without a writer blocked `run` for ever; a capture is read twice anyway.
    TempDir dir;
    const std::string fifo = dir.file("cap.pcap");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto info = inspect_capture(fifo);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().message,
              fifo + ": not a regular file: a capture is read twice (counted, then replayed), so it must be a file");
}

TEST(PcapSources, ReadFromTheDeviceArguments) {
    const auto s = pcap_sources("rx_pcap=/a.pcap,infinite_rx=1,rx_iface=eth0,tx_pcap=/out.pcap,iface=lo,rx_iface_in=x");
    ASSERT_EQ(s.size(), 4u);
    EXPECT_EQ(s[0].key, "rx_pcap");
    EXPECT_EQ(s[0].value, "/a.pcap");
    EXPECT_EQ(s[1].key, "rx_iface");
    EXPECT_EQ(s[1].value, "eth0");
    EXPECT_EQ(s[2].key, "iface");
    EXPECT_EQ(s[3].key, "rx_iface_in");
    EXPECT_TRUE(pcap_sources("").empty());
    EXPECT_TRUE(pcap_sources("infinite_rx").empty());
}

// net_pcap hands frames on as they are: a Linux cooked capture there would be parsed as Ethernet.
TEST(PcapSources, ACaptureOfAnotherLinkTypeIsRefusedAndEthernetTaken) {
    const std::string sll = testing::test_data("pcap/ipv4/tcp-handshake-nanosecond.pcap");
    auto refused = check_pcap_source_link_type({"rx_pcap", sll});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message.rfind("rx_pcap=" + sll + ": link type LINUX_SLL (113) is not Ethernet", 0), 0u)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find("give the capture as input.pcap"), std::string::npos);
    auto ethernet = check_pcap_source_link_type({"rx_pcap", testing::test_data("pcap/ipv4/tcp-http.pcap")});
    ASSERT_TRUE(ethernet.ok());
    EXPECT_TRUE(ethernet.value());
}

// A reload applies the tables and the policy; these keep their start values, and a reload that
// changes one says which.
TEST(Config, StartOnlyChangesAreNamedOneByOne) {
    const Config start;
    EXPECT_EQ(start_only_changes(start, start), "");
    const auto changed = [&](auto&& edit) {
        Config c = start;
        edit(c);
        return start_only_changes(start, c);
    };
    EXPECT_EQ(changed([](Config& c) { c.eal_args = {"--vdev=net_null0"}; }), "dpdk.eal");
    EXPECT_EQ(changed([](Config& c) { c.ports = {PortConfig{"net_null0", 1}}; }), "dpdk.ports");
    EXPECT_EQ(changed([](Config& c) { c.ring_size *= 2; }), "dpdk (pool, burst, rings, caches, time_source)");
    EXPECT_EQ(changed([](Config& c) { c.time_source = TimeSource::clock; }), "dpdk (pool, burst, rings, caches, time_source)");
    EXPECT_EQ(changed([](Config& c) { c.input_pcaps = {"a.pcap"}; }), "input.pcap");
    EXPECT_EQ(changed([](Config& c) { c.output_path = "o.pcapng"; }), "output");
    EXPECT_EQ(changed([](Config& c) { c.retention_sweep.enabled = true; }), "output");
    EXPECT_EQ(changed([](Config& c) { c.audit.key_path = "k.key"; }), "audit");
    EXPECT_EQ(changed([](Config& c) { c.stats_interval_s = 1; }), "stats.interval_s");
    EXPECT_EQ(changed([](Config& c) {
                  c.flow_cache = 0;
                  c.output_format = OutputFormat::pcap;
              }),
              "dpdk (pool, burst, rings, caches, time_source), output");
    // What a reload does apply is no such change.
    EXPECT_EQ(changed([](Config& c) { c.rules.push_back({}); c.country_files = {"other.csv"}; }), "");
}

TEST(Config, AnOutputNamedAsTheOtherFormatIsWarnedAbout) {
    Config c;
    c.output_path = "out/a.pcapng";
    EXPECT_EQ(output_name_warning(c), "");
    c.output_path = "out/a.pcap";
    EXPECT_EQ(output_name_warning(c), "output out/a.pcap: written as pcapng (output.format / --format), but named as classic "
                                      "pcap: tools that go by the name misread it");
    c.output_format = OutputFormat::pcap;
    EXPECT_EQ(output_name_warning(c), "");
    c.output_path = "out/a.pcapng";
    EXPECT_NE(output_name_warning(c).find("written as classic pcap"), std::string::npos);
    c.output_path = "out/a.cap";  // any other name is the user's choice
    EXPECT_EQ(output_name_warning(c), "");
}

// net_pcap gives a snapped packet its captured length as its length: such a file is warned about.
TEST(PcapSources, ASnappedCaptureIsTold) {
    EXPECT_TRUE(pcap_file_is_snapped(testing::test_data("pcap/backbone/mawi-202010011400-10k.pcap")));  // snaplen 96
    EXPECT_FALSE(pcap_file_is_snapped(testing::test_data("pcap/ipv4/tcp-http.pcap")));
    EXPECT_FALSE(pcap_file_is_snapped("/nonexistent.pcap"));
}

// A pipe the driver has opened is not read again (that would take its packets, or wait for ever).
TEST(PcapSources, APipeIsLeftUncheckedAndNotRead) {
    TempDir dir;
    const std::string fifo = dir.file("cap.pcap");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto checked = check_pcap_source_link_type({"rx_pcap", fifo});
    ASSERT_TRUE(checked.ok());
    EXPECT_FALSE(checked.value());
}

TEST(PcapSources, OnlyEthernetAndLoopbackInterfacesGiveEthernetHeaders) {
    EXPECT_TRUE(arphrd_gives_ethernet(1));      // Ethernet (and managed-mode Wi-Fi)
    EXPECT_TRUE(arphrd_gives_ethernet(772));    // loopback
    EXPECT_FALSE(arphrd_gives_ethernet(65534)); // tun: raw IP
    EXPECT_FALSE(arphrd_gives_ethernet(512));   // PPP
    EXPECT_FALSE(arphrd_gives_ethernet(803));   // monitor-mode Wi-Fi: radiotap
}

TEST(InspectCapture, ALinkTypeWithoutANameIsRefusedByItsNumber) {
    TempDir dir;
    const std::string path = dir.file("odd.pcap");  // LINKTYPE_USER0: reserved for private use
    testing::write_capture(path, {testing::CapturedPacket{1, 40, std::vector<std::uint8_t>(40, 0), ""}}, 147);
    auto info = inspect_capture(path);
    ASSERT_FALSE(info.ok());
    EXPECT_NE(info.error().message.find(path + ": link type without a name (147) is not one the replay reads"),
              std::string::npos)
        << info.error().message;
}

TEST(PcapSources, InterfacesByTheirKernelType) {
    auto any = check_pcap_source_link_type({"iface", "any"});
    ASSERT_FALSE(any.ok());
    EXPECT_NE(any.error().message.find("iface=any: Linux's `any` pseudo-interface"), std::string::npos);
    auto lo = check_pcap_source_link_type({"rx_iface", "lo"});  // loopback frames come with Ethernet headers
    if (std::filesystem::exists("/sys/class/net/lo/type")) {
        ASSERT_TRUE(lo.ok());
        EXPECT_TRUE(lo.value());
    }
    auto unknown = check_pcap_source_link_type({"rx_iface", "no-such-if0"});
    ASSERT_TRUE(unknown.ok());
    EXPECT_FALSE(unknown.value());
    auto path = check_pcap_source_link_type({"rx_iface", "../lo"});
    ASSERT_TRUE(path.ok());
    EXPECT_FALSE(path.value());
}

TEST(ResolvePath, RelativeToTheConfigDirectory) {
    EXPECT_EQ(resolve_path("/etc/fs/config.yaml", "tables/a.csv"), "/etc/fs/tables/a.csv");
    EXPECT_EQ(resolve_path("/etc/fs/config.yaml", "../a.csv"), "/etc/a.csv");
    EXPECT_EQ(resolve_path("/etc/fs/config.yaml", "/var/a.csv"), "/var/a.csv");
    EXPECT_EQ(resolve_path("", "a.csv"), "a.csv");
}

}  // namespace
}  // namespace flowsieve::testing
