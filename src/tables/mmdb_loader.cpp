// mmdb_loader.cpp: a MaxMind DB file (GeoLite2-Country, DB-IP, ip-location-db's -mmdb packages)
// -> CountryRange list, read with libmaxminddb. Control plane.
//
// libmaxminddb answers one address at a time and has no way to list a database's networks, so the
// search tree is walked here with MMDB_read_node, in address order; each data record met is asked
// for its country once (records are shared by many networks: a country database has a few hundred).
//
// IPv4 in an IPv6 tree lives at ::/96, where libmaxminddb looks it up; the same subtree is usually
// also reachable from ::ffff:0:0/96, 2001::/32 and 2002::/16 (aliases). A walk that followed every
// edge would read the IPv4 subtree again for each, so a subtree that is the IPv4 one, met anywhere
// but at ::/96, is not walked again (those three blocks are special-purpose addresses, which the
// classifier settles before any country). ::/96 itself is IPv4's here, never IPv6's: libmaxminddb
// also answers an IPv6 "::a.b.c.d" from it, but that deprecated form never appears on the wire,
// and mapping it would double the IPv6 table for nothing.
//
// The walk ends on any file: it never goes deeper than the address width, and since records may
// share nodes (the format does not forbid it, and libmaxminddb answers such trees) it stops with an
// error after reading far more nodes than the tree has, instead of walking converging paths for
// an exponentially long time.
#include <maxminddb.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/input_file.hpp"
#include "core/unique_fd.hpp"
#include "tables/country_loaders.hpp"
#include "tables/uint128.hpp"

namespace flowsieve::detail {

namespace {

struct MmdbCloser {
    void operator()(MMDB_s* db) const {
        MMDB_close(db);
        delete db;
    }
};

// The record's country: `country.iso_code` (MaxMind and DB-IP: where the network is used), else
// `registered_country.iso_code` (MaxMind: where it is registered; the one such records without a
// located country have), else `country_code` (ip-location-db). nullopt: none of them (skipped);
// an Error: the data section cannot be read.
Result<std::optional<CountryCode>> record_country(MMDB_entry_s entry, const std::string& path) {
    static const char* const country[] = {"country", "iso_code", nullptr};
    static const char* const registered[] = {"registered_country", "iso_code", nullptr};
    static const char* const flat[] = {"country_code", nullptr};
    for (const char* const* p : {country, registered, flat}) {
        MMDB_entry_data_s d;
        const int st = MMDB_aget_value(&entry, &d, p);
        if (st == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR || st == MMDB_INVALID_LOOKUP_PATH_ERROR) continue;
        if (st != MMDB_SUCCESS) return error_at(path, 0, std::string("data section: ") + MMDB_strerror(st));
        if (!d.has_data) continue;
        if (d.type != MMDB_DATA_TYPE_UTF8_STRING) return std::optional<CountryCode>{};
        return parse_country_code(std::string_view(d.utf8_string, d.data_size));
    }
    return std::optional<CountryCode>{};
}

class TreeWalk {
public:
    TreeWalk(const MMDB_s& db, const std::string& path) : db_(db), path_(path), bits_(db.depth) {}

    Result<std::vector<CountryRange>> run(std::size_t& skipped) {
        if (bits_ != 32 && bits_ != 128) return error_at(path_, 0, "search tree depth " + std::to_string(bits_) + " (expected 32 or 128)");
        if (bits_ == 128) {
            // The IPv4 subtree: 96 zero bits down from the root (where libmaxminddb looks IPv4 up).
            std::uint64_t n = 0;
            for (int d = 0; d < 96 && n < db_.metadata.node_count; ++d) {
                MMDB_search_node_s node;
                if (MMDB_read_node(&db_, static_cast<std::uint32_t>(n), &node) != MMDB_SUCCESS) break;
                n = node.left_record;
            }
            v4_node_ = n;
        }
        if (auto st = walk(0, 0, 0); !st.ok()) return st.error();
        skipped = skipped_;
        return std::move(out_);
    }

private:
    // The node at `depth` whose network starts with the `depth` high bits of `prefix` (kept in the
    // low bits of a 128-bit word).
    Result<bool> walk(std::uint64_t node_no, int depth, u128 prefix) {
        if (++visits_ > max_visits_)
            return error_at(path_, 0, "corrupt search tree: more than " + std::to_string(max_visits_) +
                                          " nodes reached from " + std::to_string(db_.metadata.node_count) +
                                          " (records that converge or lead back up)");
        MMDB_search_node_s node;
        if (const int st = MMDB_read_node(&db_, static_cast<std::uint32_t>(node_no), &node);
            st != MMDB_SUCCESS)
            return error_at(path_, 0, "search tree node " + std::to_string(node_no) + ": " + MMDB_strerror(st));
        const std::uint64_t records[2] = {node.left_record, node.right_record};
        const std::uint8_t types[2] = {node.left_record_type, node.right_record_type};
        const MMDB_entry_s entries[2] = {node.left_record_entry, node.right_record_entry};
        for (int side = 0; side < 2; ++side) {
            const u128 net = prefix << 1 | u128{static_cast<unsigned>(side)};
            const int len = depth + 1;
            switch (types[side]) {
                case MMDB_RECORD_TYPE_EMPTY: break;
                case MMDB_RECORD_TYPE_SEARCH_NODE:
                    if (len >= bits_) return error_at(path_, 0, "corrupt search tree: deeper than " + std::to_string(bits_) + " bits");
                    if (records[side] == v4_node_ && v4_node_ != 0 && !(len == 96 && net == 0)) break;  // an alias of ::/96
                    if (auto st = walk(records[side], len, net); !st.ok()) return st;
                    break;
                case MMDB_RECORD_TYPE_DATA:
                    if (auto st = add(entries[side], net, len); !st.ok()) return st;
                    break;
                default: return error_at(path_, 0, "corrupt search tree: node " + std::to_string(node_no) + " points past the data section");
            }
        }
        return true;
    }

    // The network of `len` bits `net` maps to the record's country.
    Result<bool> add(MMDB_entry_s entry, u128 net, int len) {
        auto it = countries_.find(entry.offset);
        if (it == countries_.end()) {
            auto cc = record_country(entry, path_);
            if (!cc) return cc.error();
            it = countries_.emplace(entry.offset, cc->value_or(no_country)).first;
        }
        static const CountryCode zz = *parse_country_code("ZZ");
        if (it->second == no_country || it->second == zz) {  // no country, or the registries' placeholder
            ++skipped_;
            return true;
        }
        const u128 first = net << (bits_ - len);
        const u128 last = first | (bits_ == 32 ? u128{host_mask<std::uint32_t>(len)} : host_mask<u128>(len));
        u128 from = first;
        if (bits_ == 128 && len < 96 && first == 0) {
            // A network of an IPv6 tree that holds ::/96 holds every IPv4 address (libmaxminddb
            // answers IPv4 from it); its IPv6 part starts after ::/96 (top of this file).
            out_.push_back({IpAddress::from_v4(0), IpAddress::from_v4(0xffffffffu), it->second});
            from = u128{1} << 32;
        }
        CountryRange r;
        if (bits_ == 32 || (len >= 96 && (first >> 32) == 0)) {  // an IPv4 database, or ::/96 of an IPv6 one
            r.first = IpAddress::from_v4(static_cast<std::uint32_t>(first));
            r.last = IpAddress::from_v4(static_cast<std::uint32_t>(last));
        } else {
            r.first = IpAddress::from_v6(from_u128(from));
            r.last = IpAddress::from_v6(from_u128(last));
        }
        r.cc = it->second;
        // The walk is in address order: a network next to the last one, of the same country and
        // family, extends it (a table of ranges, not of the tree's leaves).
        if (!out_.empty()) {
            CountryRange& prev = out_.back();
            if (prev.cc == r.cc && prev.last.family == r.first.family && next_after(prev.last, r.first)) {
                prev.last = r.last;
                return true;
            }
        }
        out_.push_back(r);
        return true;
    }

    static bool next_after(const IpAddress& a, const IpAddress& b) {
        if (a.is_v4()) return a.v4 != 0xffffffffu && a.v4 + 1 == b.v4;
        const u128 x = to_u128(a.v6);
        return x != ~u128{0} && x + 1 == to_u128(b.v6);
    }

    const MMDB_s& db_;
    const std::string& path_;
    const int bits_;
    std::uint64_t v4_node_ = 0;
    std::uint64_t visits_ = 0;
    // A tree reads each node once; sharing a few subtrees is tolerated, converging paths are not.
    const std::uint64_t max_visits_ = 4 * std::uint64_t{db_.metadata.node_count} + 4096;
    std::size_t skipped_ = 0;
    std::unordered_map<std::uint32_t, CountryCode> countries_;  // data offset -> country (no_country: none)
    std::vector<CountryRange> out_;
};

}  // namespace

bool looks_like_mmdb(std::string_view bytes) {
    // The metadata section starts with this marker and lies in the last 128 KiB (the format's spec).
    static constexpr std::string_view marker{"\xAB\xCD\xEFMaxMind.com", 14};
    const std::size_t from = bytes.size() > 128 * 1024 ? bytes.size() - 128 * 1024 : 0;
    return bytes.substr(from).rfind(marker) != std::string_view::npos;
}

namespace {

// A private in-memory file holding `bytes` (empty where the system has none): libmaxminddb maps the
// file it opens, and a mapped table that someone replaces in place (`cp` truncates it first) loses
// its pages under the walk (SIGBUS). The copy is the bytes load_country_file read and recognised.
UniqueFd memory_copy(std::string_view bytes) {
    UniqueFd fd(::memfd_create("flowsieve-mmdb", MFD_CLOEXEC));
    for (std::size_t done = 0; fd && done < bytes.size();) {
        const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return UniqueFd(-1);
        done += static_cast<std::size_t>(n);
    }
    return fd;
}

}  // namespace

Result<std::vector<CountryRange>> parse_mmdb(const std::string& path, std::string_view bytes, CountryTableInfo* info) {
    std::unique_ptr<MMDB_s, MmdbCloser> db(new MMDB_s{});
    const UniqueFd copy = memory_copy(bytes);
    const std::string copy_path = "/proc/self/fd/" + std::to_string(copy.get());
    int st = copy ? MMDB_open(copy_path.c_str(), MMDB_MODE_MMAP, db.get()) : MMDB_FILE_OPEN_ERROR;
    if (st == MMDB_FILE_OPEN_ERROR) st = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db.get());  // no /proc: the file itself
    if (st != MMDB_SUCCESS) {
        // MMDB_open leaves nothing to close when it fails.
        delete db.release();
        return error_at(path, 0, std::string("not a readable MaxMind DB: ") + MMDB_strerror(st));
    }
    std::size_t skipped = 0;
    auto ranges = TreeWalk(*db, path).run(skipped);
    if (!ranges) return ranges.error();
    if (ranges->empty()) return error_at(path, 0, "no network with a country in the database");
    if (info) {
        for (const CountryRange& r : *ranges) {
            ++(r.first.is_v4() ? info->ranges_v4 : info->ranges_v6);
            (r.first.is_v4() ? info->prefixes_v4 : info->prefixes_v6) += cover_prefix_count(r);
        }
        info->skipped += skipped;
        // The build date stands for the newest record (countries.max_age_days).
        const std::time_t t = static_cast<std::time_t>(db->metadata.build_epoch);
        std::tm tm{};
        char date[16];
        if (gmtime_r(&t, &tm) && std::strftime(date, sizeof date, "%Y%m%d", &tm) == 8) info->newest_date = date;
    }
    return ranges;
}

}  // namespace flowsieve::detail

namespace flowsieve {

Result<std::vector<CountryRange>> load_mmdb(const std::string& path, CountryTableInfo* info) {
    auto file = InputFile::open(path);
    if (!file) return file.error();
    return detail::parse_mmdb(path, file->text(), info);
}

}  // namespace flowsieve
