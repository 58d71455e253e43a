// rir_stats_loader.cpp: RIR delegated / delegated-extended statistics -> CountryRange list.
// Control plane. Format: https://www.apnic.net/about-apnic/corporate-documents/documents/resource-guidelines/rir-statistics-exchange-format/
#include <algorithm>

#include "tables/country_loaders.hpp"
#include "tables/text_file.hpp"

namespace flowsieve {
namespace detail {
namespace {

constexpr std::size_t max_fields = 8;  // registry|cc|type|start|value|date|status|opaque-id; more are ignored

std::size_t split_bars(std::string_view line, std::string_view (&f)[max_fields]) {
    std::size_t n = 0;
    for (;;) {
        const std::size_t bar = line.find('|');
        if (n < max_fields) f[n] = line.substr(0, bar);
        ++n;
        if (bar == std::string_view::npos) return n;
        line.remove_prefix(bar + 1);
    }
}

// The header line starts with the format version: "2" or "2.3".
bool is_version(std::string_view s) {
    const std::size_t dot = s.find('.');
    const auto digits = [](std::string_view d) {
        return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (dot == std::string_view::npos) return digits(s);
    return digits(s.substr(0, dot)) && digits(s.substr(dot + 1));
}

bool is_date(std::string_view s) {
    return s.size() == 8 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<std::vector<CountryRange>> parse_rir_stats(const std::string& path, std::string_view text,
                                                  CountryTableInfo* info) {
    text = without_bom(text);
    std::vector<CountryRange> out;
    out.reserve(text.size() / 60 + 16);
    CountryTableInfo add;
    std::size_t address_records = 0;
    const CountryCode zz = *parse_country_code("ZZ");

    LineCursor cur(text);
    std::string_view line;
    std::size_t no = 0;
    while (cur.next(line, no)) {
        if (is_blank_or_comment(line)) continue;
        const auto fail = [&](const std::string& what) { return error_at(path, no, what); };
        std::string_view f[max_fields];
        const std::size_t n = split_bars(line, f);
        if (is_version(f[0])) {  // 2|apnic|20140214|31803|19850701|20140213|+1000
            // version|registry|serial|records|startdate|enddate|UTCoffset: the end date is when
            // the data is from, even when no record is that recent (what stale warnings need).
            if (n >= 6 && is_date(f[5]) && f[5] > std::string_view(add.newest_date)) add.newest_date = std::string(f[5]);
            continue;
        }
        if (n >= 6 && f[5] == "summary") continue;     // apnic|*|ipv4|*|22939|summary
        if (n < 7)
            return fail("expected at least 7 '|'-separated fields (registry|cc|type|start|value|date|status), got " +
                        std::to_string(n));
        const std::string_view cc_text = f[1], type = f[2], start = f[3], value = f[4], date = f[5], status = f[6];
        if (type == "asn") continue;
        const bool v4 = type == "ipv4";
        if (!v4 && type != "ipv6")
            return fail("unknown record type '" + std::string(type) + "' (expected asn, ipv4 or ipv6)");

        CountryRange r;
        if (v4) {
            const auto a = parse_ipv4_text(start);
            if (!a) return fail("bad IPv4 start address '" + std::string(start) + "'");
            const auto count = parse_decimal_u64(value);
            if (!count || *count == 0) return fail("bad IPv4 address count '" + std::string(value) + "'");
            if (*count - 1 > 0xffffffffu - *a)
                return fail(std::string(value) + " addresses from " + std::string(start) + " run past 255.255.255.255");
            r.first = IpAddress::from_v4(*a);
            r.last = IpAddress::from_v4(static_cast<std::uint32_t>(*a + (*count - 1)));
        } else {
            const auto a = parse_ipv6_text(start);
            if (!a) return fail("bad IPv6 start address '" + std::string(start) + "'");
            const auto len = parse_decimal_u64(value);
            if (!len || *len > 128) return fail("bad IPv6 prefix length '" + std::string(value) + "' (expected 0..128)");
            const u128 host = host_mask<u128>(static_cast<int>(*len));
            if ((*a & host) != 0)
                return fail(std::string(start) + "/" + std::string(value) + " has host bits set");
            r.first = IpAddress::from_v6(from_u128(*a));
            r.last = IpAddress::from_v6(from_u128(*a | host));
        }
        // Dates: YYYYMMDD; extended files leave it empty (or 00000000) on available/reserved records.
        if (!date.empty() && !is_date(date)) return fail("bad date '" + std::string(date) + "' (expected YYYYMMDD)");
        ++address_records;

        const bool no_owner = status == "available" || status == "reserved";
        if (!no_owner && status != "allocated" && status != "assigned")
            return fail("unknown status '" + std::string(status) +
                        "' (expected allocated, assigned, available or reserved)");
        if (!date.empty() && date != "00000000" && date > std::string_view(add.newest_date))
            add.newest_date = std::string(date);
        if (no_owner || cc_text.empty()) {
            ++add.skipped;
            continue;
        }
        const auto cc = parse_country_code(cc_text);
        if (!cc) return fail("bad country code '" + std::string(cc_text) + "' (expected two letters)");
        if (*cc == zz) {
            ++add.skipped;
            continue;
        }
        r.cc = *cc;
        if (v4) {
            ++add.ranges_v4;
            add.prefixes_v4 += cover_prefix_count(r);
        } else {
            ++add.ranges_v6;
            ++add.prefixes_v6;
        }
        out.push_back(r);
    }
    if (address_records == 0) return error_at(path, 0, "no ipv4 or ipv6 records in file");
    if (info) {
        info->ranges_v4 += add.ranges_v4;
        info->ranges_v6 += add.ranges_v6;
        info->prefixes_v4 += add.prefixes_v4;
        info->prefixes_v6 += add.prefixes_v6;
        info->skipped += add.skipped;
        if (add.newest_date > info->newest_date) info->newest_date = add.newest_date;
    }
    return out;
}

}  // namespace detail

Result<std::vector<CountryRange>> load_rir_stats(const std::string& path, CountryTableInfo* info) {
    auto file = InputFile::open(path);
    if (!file) return file.error();
    return detail::parse_rir_stats(path, file->text(), info);
}

}  // namespace flowsieve
