// range_csv_loader.cpp: ip-location-db range CSV (`start,end,CC`, text or `-num` integer
// addresses) -> CountryRange list. Control plane; big files are parsed in parallel chunks (TBB).
#include <algorithm>
#include <cctype>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "tables/country_loaders.hpp"
#include "tables/text_file.hpp"

namespace flowsieve {
namespace detail {
namespace {

// A file uses one address form throughout: ip-location-db never mixes them, and a number alone
// does not say its family, so the form of the first range line decides for the whole file.
enum class Form { text, numeric };
// Family of integer addresses: from the file name where it says (…-ipv4-num.csv), else inferred
// (any value above 32 bits -> IPv6, otherwise IPv4).
enum class NumFamily { v4, v6, infer };

struct Chunk {
    std::string_view text;
    CountryRange* out = nullptr;  // this chunk's slice of the result: one slot per line
    std::size_t lines = 0;        // newline-terminated lines (+1 for a last line without one)
    std::size_t ranges = 0;
    std::size_t data_lines = 0;
    std::size_t skipped = 0;
    std::size_t prefixes_v4 = 0, prefixes_v6 = 0;
    std::size_t error_line = 0;  // chunk-local, 1-based; 0 = none
    std::string error;
    u128 max_numeric = 0;
};

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

NumFamily family_hint(const std::string& path) {
    const std::string base = lower(std::string_view(path).substr(path.find_last_of('/') + 1));
    const bool v4 = base.find("ipv4") != std::string::npos, v6 = base.find("ipv6") != std::string::npos;
    if (v4 != v6) return v4 ? NumFamily::v4 : NumFamily::v6;
    return NumFamily::infer;
}

// The fields of a line. `start,end,CC` as ip-location-db writes it; or every field in double quotes
// with a fourth, the country's name, as IP2Location LITE writes it
// (`"16777216","16777471","AU","Australia"`; a name may hold a comma: `"Iran, Islamic Republic of"`).
struct CsvFields {
    std::string_view f[3];    // the first three, trimmed and unquoted
    std::size_t n = 0;        // how many there are
    bool quoted = false;      // the first one was in quotes
    bool all_quoted = true;   // every one was
    std::string bad_quote;    // what is wrong with a quote, naming its field; empty when nothing is
};

CsvFields split_fields(std::string_view line) {
    CsvFields out;
    for (;;) {
        line = trim(line);
        std::string_view field;
        if (!line.empty() && line.front() == '"') {
            if (out.n == 0) out.quoted = true;
            const std::size_t close = line.find('"', 1);  // no field of these files holds a quote
            if (close == std::string_view::npos) {
                out.bad_quote = "field " + std::to_string(out.n + 1) + ": its opening quote is not closed";
                return out;
            }
            field = line.substr(1, close - 1);
            line.remove_prefix(close + 1);
            line = trim(line);
            if (!line.empty() && line.front() != ',') {
                out.bad_quote = "field " + std::to_string(out.n + 1) + ": text after its closing quote ('" +
                                printable_text(line, 40) + "'; a quote inside a field is not read)";
                return out;
            }
        } else {
            out.all_quoted = false;
            const std::size_t comma = line.find(',');
            field = trim(line.substr(0, comma));
            line = comma == std::string_view::npos ? std::string_view{} : line.substr(comma);
        }
        if (out.n < 3) out.f[out.n] = field;
        ++out.n;
        if (line.empty()) return out;
        line.remove_prefix(1);  // the comma
    }
}

// Parses one address field; `what` is "start" or "end". Returns an error text or "".
std::string parse_address(std::string_view s, const char* what, Form form, NumFamily fam, IpAddress& out,
                          u128& max_numeric) {
    const auto bad = [&](const char* why) {
        return std::string("bad ") + what + " address '" + std::string(s) + "'" + why;
    };
    if (form == Form::numeric) {
        if (!all_digits(s)) return bad(" (this file uses integer addresses)");
        const auto v = parse_decimal_u128(s);
        if (!v) return bad(" (more than 128 bits)");
        if (fam == NumFamily::v4) {
            if (*v > 0xffffffffu) return bad(" (above 4294967295, and the file name says ipv4)");
            out = IpAddress::from_v4(static_cast<std::uint32_t>(*v));
        } else {
            out = IpAddress::from_v6(from_u128(*v));  // infer: fixed up to IPv4 after the whole file
        }
        max_numeric = std::max(max_numeric, *v);
        return {};
    }
    if (all_digits(s)) return bad(" (this file uses text addresses)");
    if (s.find(':') != std::string_view::npos) {
        const auto v = parse_ipv6_text(s);
        if (!v) return bad("");
        out = IpAddress::from_v6(from_u128(*v));
        return {};
    }
    const auto v = parse_ipv4_text(s);
    if (!v) return bad("");
    out = IpAddress::from_v4(*v);
    return {};
}

void parse_chunk(Chunk& c, Form form, NumFamily fam) {
    LineCursor cur(c.text);
    std::string_view line;
    std::size_t no = 0;
    const CountryCode zz = *parse_country_code("ZZ");
    while (cur.next(line, no)) {
        if (is_blank_or_comment(line)) continue;
        ++c.data_lines;
        const auto fail = [&](std::string msg) {
            c.error_line = no;
            c.error = std::move(msg);
        };
        const CsvFields cols = split_fields(line);
        if (!cols.bad_quote.empty()) return fail(cols.bad_quote);
        // Three fields, or four quoted ones (IP2Location's, the fourth the country's name).
        if (cols.n != 3 && !(cols.all_quoted && cols.n == 4))
            return fail(cols.quoted ? "expected 3 or 4 quoted fields (\"start\",\"end\",\"country\"[,\"name\"]), got " +
                                          std::to_string(cols.n)
                                    : "expected 3 comma-separated fields (start,end,country), got " + std::to_string(cols.n));
        const std::string_view(&f)[3] = cols.f;
        CountryRange r;
        if (auto e = parse_address(f[0], "start", form, fam, r.first, c.max_numeric); !e.empty()) return fail(e);
        if (auto e = parse_address(f[1], "end", form, fam, r.last, c.max_numeric); !e.empty()) return fail(e);
        if (r.first.family != r.last.family)
            return fail("start " + std::string(f[0]) + " and end " + std::string(f[1]) +
                        " are of different address families");
        if (r.last < r.first) return fail("start " + std::string(f[0]) + " is after end " + std::string(f[1]));
        if (cols.quoted && f[2] == "-") {  // IP2Location's placeholder for addresses of no country
            ++c.skipped;
            continue;
        }
        const auto cc = parse_country_code(f[2]);
        if (!cc) return fail("bad country code '" + std::string(f[2]) + "' (expected two letters)");
        if (*cc == zz) {  // registry placeholder: not a country
            ++c.skipped;
            continue;
        }
        r.cc = *cc;
        (r.first.is_v4() ? c.prefixes_v4 : c.prefixes_v6) += cover_prefix_count(r);
        c.out[c.ranges++] = r;
    }
}

// Splits text into about `parts` pieces that each end just after a newline.
std::vector<Chunk> split_chunks(std::string_view text, std::size_t parts) {
    std::vector<Chunk> chunks;
    const std::size_t target = text.size() / parts + 1;
    while (!text.empty()) {
        std::size_t cut = std::min(text.size(), target);
        if (cut < text.size()) {
            const std::size_t nl = text.find('\n', cut - 1);
            cut = nl == std::string_view::npos ? text.size() : nl + 1;
        }
        chunks.push_back(Chunk{});
        chunks.back().text = text.substr(0, cut);
        text.remove_prefix(cut);
    }
    return chunks;
}

// IPv6 ranges inside ::ffff:0:0/96 (IPv4-mapped addresses) as the IPv4 ranges they map, the parts
// of a range outside that block kept as IPv6, in the file's order. Why: IP2Location's IPv6 files
// give every IPv4 range that way, and a mapped address is special (special_blocks.cpp), never looked
// up: a user loading only such a file would find every IPv4 endpoint without a country, silently.
void map_ipv4_mapped(std::vector<CountryRange>& ranges, CountryTableInfo& add) {
    constexpr u128 lo = u128{0xffff} << 32, hi = lo | 0xffffffffu;
    const auto mapped = [&](const CountryRange& r) {
        return r.first.is_v6() && to_u128(r.first.v6) <= hi && to_u128(r.last.v6) >= lo;
    };
    const std::size_t n = static_cast<std::size_t>(std::count_if(ranges.begin(), ranges.end(), mapped));
    if (n == 0) return;
    std::vector<CountryRange> out;
    out.reserve(ranges.size() + 2 * n);
    for (const CountryRange& r : ranges) {
        if (!mapped(r)) {
            out.push_back(r);
            continue;
        }
        const u128 first = to_u128(r.first.v6), last = to_u128(r.last.v6);
        add.prefixes_v6 -= cover_prefix_count(r);
        const auto keep = [&](CountryRange part) {
            (part.first.is_v4() ? add.prefixes_v4 : add.prefixes_v6) += cover_prefix_count(part);
            out.push_back(part);
        };
        if (first < lo) keep({r.first, IpAddress::from_v6(from_u128(lo - 1)), r.cc});
        keep({IpAddress::from_v4(static_cast<std::uint32_t>(std::max(first, lo))),
              IpAddress::from_v4(static_cast<std::uint32_t>(std::min(last, hi))), r.cc});
        if (last > hi) keep({IpAddress::from_v6(from_u128(hi + 1)), r.last, r.cc});
    }
    ranges = std::move(out);
}

}  // namespace

Result<std::vector<CountryRange>> parse_range_csv(const std::string& path, std::string_view text,
                                                  CountryTableInfo* info) {
    text = without_bom(text);
    // The first range line decides the address form.
    Form form = Form::text;
    {
        LineCursor cur(text);
        std::string_view line;
        std::size_t no = 0;
        bool found = false;
        while (!found && cur.next(line, no)) {
            if (is_blank_or_comment(line)) continue;
            found = true;
            if (all_digits(split_fields(line).f[0])) form = Form::numeric;
        }
        if (!found) return error_at(path, 0, "no address ranges in file");
    }
    const NumFamily fam = family_hint(path);

    // About 1 MiB per chunk, a few chunks per worker thread; small files stay one chunk. Each chunk
    // writes into its own slice of the result (sized by its line count), so nothing is copied
    // afterwards unless blank, comment or ZZ lines leave holes to close.
    const std::size_t threads = static_cast<std::size_t>(tbb::this_task_arena::max_concurrency());
    const std::size_t parts = std::clamp<std::size_t>(text.size() >> 20, 1, 4 * threads);
    std::vector<Chunk> chunks = split_chunks(text, parts);
    tbb::parallel_for(std::size_t{0}, chunks.size(), [&](std::size_t i) {
        const std::string_view t = chunks[i].text;
        chunks[i].lines = static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n')) + (t.back() != '\n');
    });
    std::size_t slots = 0;
    for (const Chunk& c : chunks) slots += c.lines;
    std::vector<CountryRange> out(slots);
    slots = 0;
    for (Chunk& c : chunks) {
        c.out = out.data() + slots;
        slots += c.lines;
    }
    tbb::parallel_for(std::size_t{0}, chunks.size(), [&](std::size_t i) { parse_chunk(chunks[i], form, fam); });

    std::size_t base = 0, data_lines = 0;
    u128 max_numeric = 0;
    CountryTableInfo add;
    for (const Chunk& c : chunks) {
        if (c.error_line != 0) return error_at(path, base + c.error_line, c.error);
        base += c.lines;
        data_lines += c.data_lines;
        add.skipped += c.skipped;
        add.prefixes_v4 += c.prefixes_v4;
        add.prefixes_v6 += c.prefixes_v6;
        max_numeric = std::max(max_numeric, c.max_numeric);
    }
    if (data_lines == 0) return error_at(path, 0, "no address ranges in file");
    // Close the holes (chunks are in file order, so this keeps the file's order).
    CountryRange* end = out.data();
    for (const Chunk& c : chunks) {
        if (c.out != end) std::copy(c.out, c.out + c.ranges, end);
        end += c.ranges;
    }
    out.resize(static_cast<std::size_t>(end - out.data()));

    if (form == Form::numeric && fam == NumFamily::infer && max_numeric <= 0xffffffffu) {
        // Integer addresses that all fit in 32 bits: an IPv4 -num file after all.
        add.prefixes_v4 = add.prefixes_v6 = 0;
        for (CountryRange& r : out) {
            r.first = IpAddress::from_v4(static_cast<std::uint32_t>(r.first.v6.lo));
            r.last = IpAddress::from_v4(static_cast<std::uint32_t>(r.last.v6.lo));
            add.prefixes_v4 += cover_prefix_count(r);
        }
    }
    map_ipv4_mapped(out, add);
    if (info) {
        for (const CountryRange& r : out) ++(r.first.is_v4() ? info->ranges_v4 : info->ranges_v6);
        info->prefixes_v4 += add.prefixes_v4;
        info->prefixes_v6 += add.prefixes_v6;
        info->skipped += add.skipped;
    }
    return out;
}

}  // namespace detail

Result<std::vector<CountryRange>> load_range_csv(const std::string& path, CountryTableInfo* info) {
    auto file = InputFile::open(path);
    if (!file) return file.error();
    return detail::parse_range_csv(path, file->text(), info);
}

}  // namespace flowsieve
