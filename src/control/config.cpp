// config.cpp: reads and validates the YAML config (control plane, at start and at reload).
#include "control/config.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "control/yaml_reader.hpp"
#include "core/country_code.hpp"
#include "oversight/key_file.hpp"
#include "policy/rule.hpp"

namespace flowsieve {

std::string resolve_path(const std::string& config_path, const std::string& p) {
    std::filesystem::path path(p);
    if (path.is_absolute() || config_path.empty()) return p;
    return (std::filesystem::path(config_path).parent_path() / path).lexically_normal().string();
}

// The settings a reload does not apply, because the data path, the output and the audit log are
// set up once at the start, that differ between the config the filter started with and a reload's:
// named in a warning, as a reload that said only "published" let a user believe them applied.
std::string start_only_changes(const Config& running, const Config& next) {
    const auto& r = running;
    const auto& n = next;
    const std::pair<const char*, bool> keys[] = {
        {"dpdk.eal", r.eal_args != n.eal_args},
        {"dpdk.ports", r.ports != n.ports},
        {"dpdk (pool, burst, rings, caches, time_source)",
         r.mbufs != n.mbufs || r.mbuf_cache != n.mbuf_cache || r.burst != n.burst || r.ring_size != n.ring_size ||
             r.rx_descriptors != n.rx_descriptors || r.endpoint_cache != n.endpoint_cache || r.flow_cache != n.flow_cache ||
             r.time_source != n.time_source},
        {"input.pcap", r.input_pcaps != n.input_pcaps},
        {"output", r.output_path != n.output_path || r.output_format != n.output_format ||
                       r.output_retention_days != n.output_retention_days ||
                       r.retention_sweep.enabled != n.retention_sweep.enabled || r.retention_sweep.dir != n.retention_sweep.dir ||
                       r.retention_sweep.interval_s != n.retention_sweep.interval_s},
        {"audit", r.audit.enabled != n.audit.enabled || r.audit.log_path != n.audit.log_path ||
                      r.audit.key_path != n.audit.key_path || r.audit.checkpoint_every != n.audit.checkpoint_every ||
                      r.audit.interval_s != n.audit.interval_s},
        {"stats.interval_s", r.stats_interval_s != n.stats_interval_s},
    };
    std::string out;
    for (const auto& [key, changed] : keys)
        if (changed) out += (out.empty() ? "" : ", ") + std::string(key);
    return out;
}

std::string output_name_warning(const Config& c) {
    const auto ends_with = [&](std::string_view ext) {
        return c.output_path.size() >= ext.size() && c.output_path.compare(c.output_path.size() - ext.size(), ext.size(), ext) == 0;
    };
    const bool pcapng = c.output_format == OutputFormat::pcapng;
    if (pcapng ? !ends_with(".pcap") : !ends_with(".pcapng")) return {};
    return "output " + c.output_path + ": written as " + (pcapng ? "pcapng" : "classic pcap") + " (output.format / --format), " +
           "but named as " + (pcapng ? "classic pcap" : "pcapng") + ": tools that go by the name misread it";
}

std::string retention_sweep_dir(const Config& c) {
    if (!c.retention_sweep.dir.empty()) return c.retention_sweep.dir;
    const auto parent = std::filesystem::path(c.output_path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

namespace {

class ConfigParser {
public:
    explicit ConfigParser(const std::string& path) : y_(path) { c_.path = path; }

    Result<Config> parse() {
        auto doc = y_.load();
        if (!doc) return doc.error();
        try {
            read(doc.value());
        } catch (const YamlError& e) {
            return Error{e.message};
        } catch (const YAML::Exception& e) {
            return error_at(y_.file(), static_cast<std::size_t>(e.mark.line + 1), e.msg);
        }
        return std::move(c_);
    }

private:
    std::string path(const YAML::Node& n, const std::string& key) { return resolve_path(c_.path, y_.str(n, key)); }
    // A list of files (or a single one), each resolved against the config's directory; with
    // `sources`, the file:line of each, for the errors of the loaders that read them.
    std::vector<std::string> files(const YAML::Node& n, const std::string& key, std::vector<std::string>* sources = nullptr) {
        std::vector<std::string> out;
        for (auto& f : y_.str_list(n, key)) out.push_back(resolve_path(c_.path, f));
        if (sources) {
            sources->clear();
            if (!n.IsSequence()) sources->push_back(y_.where(n));
            for (std::size_t i = 0; n.IsSequence() && i < n.size(); ++i) sources->push_back(y_.where(n[i]));
        }
        return out;
    }

    void read(const YAML::Node& root) {
        y_.only_keys(root, "", {"domestic", "countries", "indicators", "operators", "authorisations", "rules",
                                "input", "dpdk", "output", "stats", "oversight", "audit"});
        if (root["domestic"]) read_domestic(root["domestic"]);
        if (!root["countries"]) y_.fail(root, "countries", "missing: the country table files are required");
        read_countries(root["countries"]);
        if (root["indicators"]) read_indicators(root["indicators"]);
        if (root["operators"]) read_operators(root["operators"]);
        if (root["authorisations"])
            c_.authorisation_files = files(root["authorisations"], "authorisations", &c_.authorisation_sources);
        if (root["rules"]) read_rules(root["rules"]);
        if (root["oversight"]) read_oversight(root["oversight"]);
        if (root["audit"]) read_audit(root["audit"]);
        if (root["input"]) read_input(root["input"]);
        if (root["dpdk"]) read_dpdk(root["dpdk"]);
        if (root["output"]) read_output(root["output"]);
        // Captures are replayed through ports of their own, which a list of the ports to poll leaves
        // out: the captures would never be read.
        if (!c_.input_pcaps.empty() && !c_.ports.empty())
            y_.fail(root["dpdk"]["ports"], "dpdk.ports",
                    std::string("cannot be combined with input.pcap (") + captures_beside_ports_problem +
                        "): give one or the other");
        if (root["stats"]) {
            y_.only_keys(root["stats"], "stats", {"interval_s"});
            if (auto n = root["stats"]["interval_s"]) {
                c_.stats_interval_s = y_.number(n, "stats.interval_s");
                if (c_.stats_interval_s <= 0) y_.fail(n, "stats.interval_s", "must be > 0");
            }
        }
    }

    void read_domestic(const YAML::Node& n) {
        c_.domestic.clear();
        const auto list = y_.str_list(n, "domestic");
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string& cc = list[i];
            // Point at the bad entry itself, not at the start of the list.
            const YAML::Node at = n.IsSequence() ? n[i] : n;
            const auto code = parse_country_code(cc);
            if (!code) y_.fail(at, "domestic", "'" + cc + "' is not a two-letter country code");
            // A typo (JA for JP) would make every domestic address foreign, and traffic between two
            // of them selectable as transit.
            if (!is_assigned_country(*code)) y_.fail(at, "domestic", "'" + cc + "' is not an assigned ISO 3166-1 country code");
            c_.domestic.push_back(country_code_text(*code));
            c_.domestic_source.push_back(y_.where(at));
        }
        if (c_.domestic.empty()) y_.fail(n, "domestic", "at least one domestic country code is required");
    }

    void read_countries(const YAML::Node& n) {
        y_.only_keys(n, "countries", {"files", "max_age_days"});
        if (!n["files"]) y_.fail(n, "countries.files", "missing");
        c_.country_files = files(n["files"], "countries.files", &c_.country_sources);
        if (c_.country_files.empty()) y_.fail(n["files"], "countries.files", "at least one file is required");
        if (auto a = n["max_age_days"]) c_.country_max_age_days = static_cast<std::uint32_t>(y_.uint(a, "countries.max_age_days", 100000));
    }

    void read_indicators(const YAML::Node& n) {
        if (!n.IsSequence()) y_.fail(n, "indicators", "expected a list of indicator sets");
        std::set<std::string> names;
        for (std::size_t i = 0; i < n.size(); ++i) {
            const auto& e = n[i];
            std::string ctx = "indicators[" + std::to_string(i) + "]";
            y_.only_keys(e, ctx, {"name", "file", "format", "id_column", "value_column"});
            IndicatorSetConfig s;
            s.source = y_.where(e);
            if (!e["name"] || !e["file"]) y_.fail(e, ctx, "needs both name and file");
            s.name = y_.id(e["name"], ctx + ".name");
            if (!names.insert(s.name).second) y_.fail(e["name"], ctx + ".name", "duplicate indicator set '" + s.name + "'");
            s.path = path(e["file"], ctx + ".file");
            s.file_source = y_.where(e["file"]);
            if (e["format"]) {
                s.format = y_.str(e["format"], ctx + ".format");
                if (s.format != "list" && s.format != "csv" && s.format != "stix")
                    y_.fail(e["format"], ctx + ".format", "expected list, csv or stix");
            }
            if (e["id_column"]) s.id_column = y_.str(e["id_column"], ctx + ".id_column");
            if (e["value_column"]) s.value_column = y_.str(e["value_column"], ctx + ".value_column");
            c_.indicator_sets.push_back(std::move(s));
        }
        if (c_.indicator_sets.size() > 32) y_.fail(n, "indicators", "at most 32 indicator sets");
    }

    void read_operators(const YAML::Node& n) {
        if (!n.IsSequence()) y_.fail(n, "operators", "expected a list of operators");
        std::set<std::string> ids;
        // Which operator holds each prefix: the same prefix given to two would make the later one
        // own its addresses silently, and with them whichever consent covers its traffic.
        std::map<Prefix, std::string> owner;
        for (std::size_t i = 0; i < n.size(); ++i) {
            const auto& e = n[i];
            std::string ctx = "operators[" + std::to_string(i) + "]";
            y_.only_keys(e, ctx, {"id", "name", "prefixes"});
            OperatorConfig o;
            o.source = y_.where(e);
            if (!e["id"] || !e["prefixes"]) y_.fail(e, ctx, "needs id and prefixes");
            o.id = y_.id(e["id"], ctx + ".id");
            if (!ids.insert(o.id).second) y_.fail(e["id"], ctx + ".id", "duplicate operator '" + o.id + "'");
            o.name = e["name"] ? y_.str(e["name"], ctx + ".name") : o.id;
            const auto& ps = e["prefixes"];
            auto list = y_.str_list(ps, ctx + ".prefixes");
            for (std::size_t j = 0; j < list.size(); ++j) {
                auto p = parse_prefix(list[j]);
                const YAML::Node& at = ps.IsSequence() ? ps[j] : ps;
                if (!p) y_.fail(at, ctx + ".prefixes[" + std::to_string(j) + "]", p.error().message);
                const auto [held, fresh] = owner.try_emplace(p.value(), o.id);
                if (!fresh && held->second != o.id)
                    y_.fail(at, ctx + ".prefixes[" + std::to_string(j) + "]",
                            to_string(p.value()) + " is also a prefix of operator '" + held->second + "': an address belongs to one operator");
                o.prefixes.push_back(p.value());
            }
            if (o.prefixes.empty()) y_.fail(ps, ctx + ".prefixes", "an operator needs at least one prefix");
            c_.operators.push_back(std::move(o));
        }
    }

    void read_between(const YAML::Node& n, const std::string& ctx, RuleConfig& r) {
        auto pair = y_.str_list(n, ctx);
        if (pair.size() != 2) y_.fail(n, ctx, "expected a pair such as [foreign, domestic]");
        auto kind_of = [&](const std::string& s, std::string& op) {
            if (s == "foreign") return EndpointKind::foreign;
            if (s == "domestic") return EndpointKind::domestic;
            if (s.rfind("operator:", 0) == 0 && s.size() > 9) {
                op = s.substr(9);
                return EndpointKind::operator_;
            }
            y_.fail(n, ctx, "'" + s + "' is not an endpoint class (foreign, domestic, operator:<id>)");
        };
        std::string op_a, op_b;
        EndpointKind a = kind_of(pair[0], op_a), b = kind_of(pair[1], op_b);
        if (is_national(a) && is_national(b))
            y_.fail(n, ctx, "domestic-to-domestic traffic is never in scope and cannot be selected");
        if (a != EndpointKind::foreign) {
            std::swap(a, b);
            std::swap(op_a, op_b);
        }
        r.near = b;
        r.operator_id = op_b;
    }

    void read_rules(const YAML::Node& n) {
        if (!n.IsSequence()) y_.fail(n, "rules", "expected a list of rules");
        std::set<std::string> ids;
        for (std::size_t i = 0; i < n.size(); ++i) {
            const auto& e = n[i];
            std::string ctx = "rules[" + std::to_string(i) + "]";
            y_.only_keys(e, ctx, {"id", "category", "between", "indicator_sets", "exclude_ports", "exclude_protocols",
                                  "authorisation"});
            RuleConfig r;
            r.source = y_.where(e);
            for (const char* k : {"id", "category", "between", "authorisation"})
                if (!e[k]) y_.fail(e, ctx + "." + k, "missing");
            r.id = y_.id(e["id"], ctx + ".id");
            if (!ids.insert(r.id).second) y_.fail(e["id"], ctx + ".id", "duplicate rule '" + r.id + "'");
            std::string cat = y_.str(e["category"], ctx + ".category");
            auto c = parse_category(cat);
            if (!c) y_.fail(e["category"], ctx + ".category", "'" + cat + "' is not transit, operator or threat-linked");
            r.category = *c;
            read_between(e["between"], ctx + ".between", r);
            if (e["indicator_sets"]) r.indicator_sets = y_.str_list(e["indicator_sets"], ctx + ".indicator_sets");
            for (auto& s : r.indicator_sets) {
                bool known = std::any_of(c_.indicator_sets.begin(), c_.indicator_sets.end(),
                                         [&](const IndicatorSetConfig& x) { return x.name == s; });
                if (!known) y_.fail(e["indicator_sets"], ctx + ".indicator_sets", "no indicator set named '" + s + "'");
            }
            check_category_shape(e, ctx, r);
            r.excluded_ports.assign(std::begin(default_excluded_ports), std::end(default_excluded_ports));
            // E-mail is out of scope by law: a rule's exclude_ports adds to the e-mail ports, never replaces them.
            if (auto p = e["exclude_ports"]) {
                if (!p.IsSequence()) y_.fail(p, ctx + ".exclude_ports", "expected a list of ports");
                for (std::size_t j = 0; j < p.size(); ++j)
                    r.excluded_ports.push_back(static_cast<std::uint16_t>(y_.uint(p[j], ctx + ".exclude_ports", 65535)));
            }
            if (auto p = e["exclude_protocols"]) {
                if (!p.IsSequence()) y_.fail(p, ctx + ".exclude_protocols", "expected a list of IP protocol numbers");
                for (std::size_t j = 0; j < p.size(); ++j)
                    r.excluded_protocols.push_back(static_cast<std::uint8_t>(y_.uint(p[j], ctx + ".exclude_protocols", 255)));
            }
            r.authorisation = y_.str(e["authorisation"], ctx + ".authorisation");
            r.authorisation_source = y_.where(e["authorisation"]) + ": " + ctx + ".authorisation";
            c_.rules.push_back(std::move(r));
        }
    }

    // The law fixes which endpoint pairs each category may cover.
    void check_category_shape(const YAML::Node& e, const std::string& ctx, const RuleConfig& r) {
        const YAML::Node& at = e["between"];
        switch (r.category) {
            case Category::transit:
                if (r.near != EndpointKind::foreign) y_.fail(at, ctx + ".between", "a transit rule covers [foreign, foreign] only");
                break;
            case Category::operator_:
                if (r.near != EndpointKind::operator_)
                    y_.fail(at, ctx + ".between", "an operator rule covers [foreign, operator:<id>] only");
                if (std::none_of(c_.operators.begin(), c_.operators.end(),
                                 [&](const OperatorConfig& o) { return o.id == r.operator_id; }))
                    y_.fail(at, ctx + ".between", "no operator with id '" + r.operator_id + "'");
                break;
            case Category::threat_linked:
                if (r.near != EndpointKind::domestic)
                    y_.fail(at, ctx + ".between", "a threat-linked rule covers [foreign, domestic] only");
                if (r.indicator_sets.empty())
                    y_.fail(e, ctx + ".indicator_sets", "a threat-linked rule needs at least one indicator set");
                break;
        }
    }

    void read_oversight(const YAML::Node& n) {
        y_.require_map(n, "oversight");
        y_.only_keys(n, "oversight", {"require_signatures", "approval_quorum", "trusted_keys", "state_file", "revocations"});
        OversightConfig& o = c_.oversight;
        o.enabled = true;
        o.source = y_.where(n);
        if (auto v = n["require_signatures"]) {
            std::string b = y_.str(v, "oversight.require_signatures");
            if (b != "true" && b != "false") y_.fail(v, "oversight.require_signatures", "expected true or false");
            o.policy.require_signatures = b == "true";
        }
        if (!n["trusted_keys"]) y_.fail(n, "oversight.trusted_keys", "missing: name the keys that may sign");
        const auto& ks = n["trusted_keys"];
        if (!ks.IsSequence()) y_.fail(ks, "oversight.trusted_keys", "expected a list of {id, file, role}");
        std::set<std::string> members;  // of the commission, by their keys (a quorum counts members)
        for (std::size_t i = 0; i < ks.size(); ++i) {
            const auto& e = ks[i];
            const std::string ctx = "oversight.trusted_keys[" + std::to_string(i) + "]";
            y_.only_keys(e, ctx, {"id", "file", "role", "operator", "member"});
            for (const char* k : {"id", "file", "role"})
                if (!e[k]) y_.fail(e, ctx + "." + k, "missing");
            TrustedKey k;
            k.id = y_.id(e["id"], ctx + ".id");
            if (!valid_key_id(k.id)) y_.fail(e["id"], ctx + ".id", "'" + k.id + "' is not a valid key id");
            for (const auto& other : o.policy.keys)
                if (other.id == k.id) y_.fail(e["id"], ctx + ".id", "duplicate key id '" + k.id + "'");
            const std::string role = y_.str(e["role"], ctx + ".role");
            if (role == "commission") {
                k.role = KeyRole::commission;
                if (e["operator"]) y_.fail(e["operator"], ctx + ".operator", "only an operator key names an operator");
                if (e["member"]) k.member = y_.id(e["member"], ctx + ".member");
                members.insert(k.member_or_id());
            } else if (role == "operator") {
                k.role = KeyRole::operator_;
                if (e["member"]) y_.fail(e["member"], ctx + ".member", "only a commission key names a member");
                if (!e["operator"]) y_.fail(e, ctx + ".operator", "missing: whose consent this key signs");
                k.operator_id = y_.str(e["operator"], ctx + ".operator");
                if (std::none_of(c_.operators.begin(), c_.operators.end(),
                                 [&](const OperatorConfig& op) { return op.id == k.operator_id; }))
                    y_.fail(e["operator"], ctx + ".operator", "no operator with id '" + k.operator_id + "'");
            } else {
                y_.fail(e["role"], ctx + ".role", "expected commission or operator");
            }
            auto pub = read_public_key_file(path(e["file"], ctx + ".file"));
            if (!pub) y_.fail(e["file"], ctx + ".file", pub.error().message);
            if (pub->id != k.id)
                y_.fail(e["id"], ctx + ".id", "'" + k.id + "' but the key file says id '" + pub->id + "'");
            for (const auto& other : o.policy.keys)
                if (other.key == pub->key) y_.fail(e["file"], ctx + ".file", "the same key as '" + other.id + "'");
            k.key = pub->key;
            o.policy.keys.push_back(std::move(k));
        }
        if (auto q = n["approval_quorum"]) {
            o.policy.approval_quorum = static_cast<std::uint32_t>(y_.uint(q, "oversight.approval_quorum", 1000));
            if (o.policy.approval_quorum == 0) y_.fail(q, "oversight.approval_quorum", "must be >= 1");
        }
        // With no commission key at all the config may still run consents (operator keys only).
        if ((!members.empty() || n["approval_quorum"]) && o.policy.approval_quorum > members.size())
            y_.fail(n["approval_quorum"] ? n["approval_quorum"] : n, "oversight.approval_quorum",
                    std::to_string(o.policy.approval_quorum) + " > the " + std::to_string(members.size()) +
                        " commission members with trusted keys: no approval could ever be valid");
        if (n["state_file"]) o.state_file = path(n["state_file"], "oversight.state_file");
        if (n["revocations"]) o.revocation_files = files(n["revocations"], "oversight.revocations", &o.revocation_sources);
    }

    void read_audit(const YAML::Node& n) {
        y_.require_map(n, "audit");
        y_.only_keys(n, "audit", {"log", "key", "checkpoint_every", "interval_s"});
        AuditConfig& a = c_.audit;
        a.enabled = true;
        a.source = y_.where(n);
        for (const char* k : {"log", "key"})
            if (!n[k]) y_.fail(n, std::string("audit.") + k, "missing");
        a.log_path = path(n["log"], "audit.log");
        a.key_path = path(n["key"], "audit.key");
        // Checked here so a bad key is `file:line` at start, not a failure after the tables load.
        auto key = read_secret_key_file(a.key_path);
        if (!key) y_.fail(n["key"], "audit.key", key.error().message);
        if (auto v = n["checkpoint_every"]) {
            a.checkpoint_every = static_cast<std::uint32_t>(y_.uint(v, "audit.checkpoint_every", 1000000));
            if (a.checkpoint_every == 0) y_.fail(v, "audit.checkpoint_every", "must be >= 1");
        }
        if (auto v = n["interval_s"]) {
            a.interval_s = y_.number(v, "audit.interval_s");
            if (a.interval_s <= 0) y_.fail(v, "audit.interval_s", "must be > 0");
        }
    }

    void read_input(const YAML::Node& n) {
        y_.only_keys(n, "input", {"pcap"});
        if (n["pcap"])
            for (auto& f : files(n["pcap"], "input.pcap")) c_.input_pcaps.push_back(std::move(f));
    }

    void read_dpdk(const YAML::Node& n) {
        y_.only_keys(n, "dpdk", {"eal", "ports", "mbufs", "mbuf_cache", "burst", "ring_size", "rx_descriptors",
                                 "time_source", "endpoint_cache", "flow_cache"});
        if (n["eal"]) c_.eal_args = y_.str_list(n["eal"], "dpdk.eal");
        if (auto p = n["ports"]) {
            if (!p.IsSequence()) y_.fail(p, "dpdk.ports", "expected a list of ports");
            for (std::size_t i = 0; i < p.size(); ++i) {
                std::string ctx = "dpdk.ports[" + std::to_string(i) + "]";
                y_.only_keys(p[i], ctx, {"device", "rx_queues"});
                PortConfig pc;
                if (!p[i]["device"]) y_.fail(p[i], ctx + ".device", "missing");
                pc.device = y_.str(p[i]["device"], ctx + ".device");
                for (std::size_t j = 0; j < c_.ports.size(); ++j)
                    if (c_.ports[j].device == pc.device)
                        y_.fail(p[i]["device"], ctx + ".device",
                                "'" + pc.device + "' is dpdk.ports[" + std::to_string(j) + "] already (give one entry, with its rx_queues)");
                if (p[i]["rx_queues"]) {
                    pc.rx_queues = static_cast<std::uint16_t>(y_.uint(p[i]["rx_queues"], ctx + ".rx_queues", 128));
                    if (pc.rx_queues == 0) y_.fail(p[i]["rx_queues"], ctx + ".rx_queues", "must be >= 1");
                }
                c_.ports.push_back(pc);
            }
        }
        if (auto v = n["mbufs"]) c_.mbufs = static_cast<std::uint32_t>(y_.uint(v, "dpdk.mbufs", 1u << 24));
        if (auto v = n["mbuf_cache"]) c_.mbuf_cache = static_cast<std::uint32_t>(y_.uint(v, "dpdk.mbuf_cache", 512));
        if (auto v = n["burst"]) {
            c_.burst = static_cast<std::uint16_t>(y_.uint(v, "dpdk.burst", 64));
            if (c_.burst == 0) y_.fail(v, "dpdk.burst", "must be between 1 and 64");
        }
        if (auto v = n["ring_size"]) {
            c_.ring_size = static_cast<std::uint32_t>(y_.uint(v, "dpdk.ring_size", 1u << 20));
            if (c_.ring_size < 64 || (c_.ring_size & (c_.ring_size - 1)))
                y_.fail(v, "dpdk.ring_size", std::to_string(c_.ring_size) + " is not a power of two >= 64");
        }
        // Cache sizes: at most 2^24 entries (the caches' hashes index no more), 0 for none.
        const auto cache_size = [&](const char* key, std::uint32_t& out) {
            auto v = n[key];
            if (!v) return;
            const std::string name = std::string("dpdk.") + key;
            out = static_cast<std::uint32_t>(y_.uint(v, name, 1u << 24));
            if (out == 1 || (out & (out - 1))) y_.fail(v, name, std::to_string(out) + " is not 0 or a power of two >= 2");
        };
        cache_size("endpoint_cache", c_.endpoint_cache);
        cache_size("flow_cache", c_.flow_cache);
        if (auto v = n["rx_descriptors"]) {
            // 0 would make a replay port's ring hold nothing: an offline run would read no packet.
            c_.rx_descriptors = static_cast<std::uint16_t>(y_.uint(v, "dpdk.rx_descriptors", 32768));
            if (c_.rx_descriptors == 0) y_.fail(v, "dpdk.rx_descriptors", "must be between 1 and 32768");
        }
        if (auto v = n["time_source"]) {
            std::string s = y_.str(v, "dpdk.time_source");
            if (s == "auto") c_.time_source = TimeSource::automatic;
            else if (s == "capture") c_.time_source = TimeSource::capture;
            else if (s == "clock") c_.time_source = TimeSource::clock;
            else y_.fail(v, "dpdk.time_source", "expected auto, capture or clock");
        }
        // Said at the mbufs line where there is one (the burst or the cache may be what is wrong).
        const YAML::Node at = n["mbufs"] ? n["mbufs"] : n["mbuf_cache"] ? n["mbuf_cache"] : n;
        if (c_.mbufs < 2u * c_.burst)
            y_.fail(at, "dpdk.mbufs",
                    std::to_string(c_.mbufs) + " is too few for two bursts of " + std::to_string(c_.burst) +
                        " (dpdk.burst): a worker holds one while the driver fills the next");
        // A per-lcore cache holds up to 1.5 times its size before it flushes (DPDK refuses a pool no
        // larger than that, rte_mempool_create_empty), and mbufs a worker frees into its cache are
        // lost to a replay's feeder thread until then: a pool of exactly that many stalled offline
        // runs. `run` checks the bound for all its workers (engine.cpp); this one is check-config's.
        if (c_.mbufs_a_cache_holds() >= c_.mbufs)
            y_.fail(at, "dpdk.mbufs",
                    std::to_string(c_.mbufs) + " is too few for a per-lcore cache of " + std::to_string(c_.mbuf_cache) +
                        " (dpdk.mbuf_cache): a cache holds up to 1.5 times that many, and the pool needs more");
        // Replaying captures, `run` wants more than every worker's cache plus two bursts (engine.cpp).
        // It alone knows the worker count; one worker, the fewest, is refused here already.
        else if (const std::uint64_t least = c_.mbufs_a_cache_holds() + 2u * c_.burst; !c_.input_pcaps.empty() && c_.mbufs <= least)
            y_.fail(at, "dpdk.mbufs",
                    std::to_string(c_.mbufs) + " is too few to replay input.pcap: one worker's cache (dpdk.mbuf_cache " +
                        std::to_string(c_.mbuf_cache) + ") holds up to " + std::to_string(c_.mbufs_a_cache_holds()) +
                        " and the replay needs two bursts beyond: give more than " + std::to_string(least) +
                        " (run checks again with its worker count)");
        // As run checks it for one replay port (engine.cpp); run checks again with its own count.
        if (!c_.input_pcaps.empty() && c_.ring_size <= 2u * c_.burst)
            y_.fail(n["ring_size"] ? n["ring_size"] : n, "dpdk.ring_size",
                    std::to_string(c_.ring_size) + " records are too few to replay captures beside two bursts of " +
                        std::to_string(c_.burst) + " (dpdk.burst): give more than " + std::to_string(2u * c_.burst));
    }

    void read_output(const YAML::Node& n) {
        y_.only_keys(n, "output", {"path", "format", "retention_days", "retention_sweep"});
        if (n["path"]) c_.output_path = path(n["path"], "output.path");
        if (auto f = n["format"]) {
            std::string s = y_.str(f, "output.format");
            if (s == "pcapng") c_.output_format = OutputFormat::pcapng;
            else if (s == "pcap") c_.output_format = OutputFormat::pcap;
            else y_.fail(f, "output.format", "expected pcapng or pcap");
        }
        if (auto v = n["retention_days"]) {
            // 100 years at most: beyond that it is no retention rule (and the expiry stays in range).
            // 0: the output expires as soon as it is written and goes at the next sweep (a testbed
            // that keeps nothing).
            c_.output_retention_days = static_cast<std::uint32_t>(y_.uint(v, "output.retention_days", 36500));
        }
        if (n["retention_sweep"]) read_retention_sweep(n);
    }

    void read_retention_sweep(const YAML::Node& output) {
        RetentionSweepConfig& r = c_.retention_sweep;
        const YAML::Node n = output["retention_sweep"];
        // Errors about the section as a whole point at its key (a block map's own mark is its first
        // entry's line, an empty value's the line after).
        // (YAML::Node's operator= assigns through to the node it refers to: copy-construct only.)
        std::optional<YAML::Node> key_node;
        for (const auto& kv : output)
            if (!key_node && kv.first.IsScalar() && kv.first.Scalar() == "retention_sweep") key_node.emplace(kv.first);
        const YAML::Node& key = key_node ? *key_node : n;
        // `retention_sweep:` with nothing after it takes the defaults, like `retention_sweep: {}`.
        if (!n.IsNull()) {
            if (!n.IsMap()) y_.fail(key, "output.retention_sweep", "expected a mapping");
            y_.only_keys(n, "output.retention_sweep", {"dir", "interval_s"});
        }
        r.enabled = true;
        r.source = y_.where(key);
        // Every deletion is recorded: a sweep without an audit log would delete unaccounted.
        if (!c_.audit.enabled)
            y_.fail(key, "output.retention_sweep", "needs the audit section: every deletion is recorded in the audit log");
        if (n.IsNull()) return;
        if (n["dir"]) r.dir = path(n["dir"], "output.retention_sweep.dir");
        if (auto v = n["interval_s"]) {
            r.interval_s = y_.number(v, "output.retention_sweep.interval_s");
            if (!(r.interval_s >= 1)) y_.fail(v, "output.retention_sweep.interval_s", "must be >= 1");
        }
    }

    YamlReader y_;
    Config c_;
};

}  // namespace

Result<Config> load_config(const std::string& path) { return ConfigParser(path).parse(); }

}  // namespace flowsieve
