// indicator_loader.cpp: reads indicator files (plain lists and curated CSV) into
// IndicatorSetSource. Control plane (loader thread) only.
//
// Feeds reach millions of lines, so the file is read whole (InputFile), cut into pieces at line
// boundaries and the pieces are parsed in parallel (oneTBB), each into its own vector; the pieces
// are then joined in file order, so ids, counts and the first error (with its line number) are
// exactly what a serial pass gives. Lines are parsed in place (no per-line allocation but the id
// string); dotted quads and plain IPv6 are parsed by hand, everything else by parse_prefix.
#include "tables/indicator_table.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/record_id.hpp"
#include "tables/text_file.hpp"
#include "tables/uint128.hpp"

namespace flowsieve {

namespace {

// Pieces of about this size: big enough that a piece's set-up is noise, small enough that two
// cores share a 20 MB feed evenly.
constexpr std::size_t piece_bytes = 256 * 1024;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Calls fn(line_number, line) for each line, without the newline; numbers start after `first - 1`.
template <class Fn>
void for_each_line(std::string_view data, std::size_t first, Fn&& fn) {
    std::size_t line_no = first - 1;
    while (!data.empty()) {
        const std::size_t nl = data.find('\n');
        const std::string_view line = data.substr(0, nl);
        if (!fn(++line_no, line)) return;
        if (nl == std::string_view::npos) break;
        data.remove_prefix(nl + 1);
    }
}

// Runs parse(piece, out) over `text` cut at lines, in parallel; results in file order. Each piece
// numbers its lines from 1; callers add the lines of the pieces before it.
template <class PieceResult, class Parse>
std::vector<PieceResult> parse_pieces(std::string_view text, Parse&& parse) {
    const auto pieces = detail::split_at_lines(text, piece_bytes);
    std::vector<PieceResult> out(pieces.size());
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, pieces.size(), 1), [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i) parse(pieces[i], out[i]);
    });
    return out;
}

// `address` or `address/len` (len: 1..3 digits, at most 32 / 128) parsed by hand: the prefix and
// whether host bits had to be cleared. Anything else (junk, odd shapes): nullopt, and the general
// path decides, so this only ever agrees with parse_prefix / parse_prefix_with_host_bits, faster.
struct FastPrefix {
    Prefix prefix;
    bool host_bits = false;
};
std::optional<FastPrefix> parse_token_fast(std::string_view token, std::size_t slash) {
    using detail::all_ones;
    using detail::from_u128;
    using detail::u128;
    const std::string_view addr_text = token.substr(0, slash);
    unsigned len = 0;
    if (slash != std::string_view::npos) {
        const std::string_view len_text = token.substr(slash + 1);
        if (len_text.empty() || len_text.size() > 3) return std::nullopt;
        for (char c : len_text) {
            if (c < '0' || c > '9') return std::nullopt;
            len = len * 10 + static_cast<unsigned>(c - '0');
        }
    }
    if (const auto v4 = detail::parse_ipv4_text(addr_text)) {
        if (slash == std::string_view::npos) return FastPrefix{Prefix{IpAddress::from_v4(*v4), 32}, false};
        if (len > 32) return std::nullopt;
        const std::uint32_t net = len == 0 ? 0u : *v4 & (0xffffffffu << (32 - len));
        return FastPrefix{Prefix{IpAddress::from_v4(net), static_cast<std::uint8_t>(len)}, net != *v4};
    }
    if (addr_text.find(':') == std::string_view::npos) return std::nullopt;
    const auto v6 = detail::parse_ipv6_text(addr_text);
    if (!v6) return std::nullopt;
    if (slash == std::string_view::npos) return FastPrefix{Prefix{IpAddress::from_v6(from_u128(*v6)), 128}, false};
    if (len > 128) return std::nullopt;
    const u128 net = len == 0 ? u128{0} : *v6 & (all_ones<u128> << (128 - len));
    return FastPrefix{Prefix{IpAddress::from_v6(from_u128(net)), static_cast<std::uint8_t>(len)}, net != *v6};
}

// One CSV record (no embedded newlines): fields split on commas, RFC 4180 quotes, each unquoted
// field trimmed. False on an unterminated or misplaced quote. `fields` keeps its strings between
// calls (their capacity is reused); `n` is the number of fields of this record.
bool split_csv(std::string_view line, std::vector<std::string>& fields, std::size_t& n) {
    n = 0;
    std::size_t i = 0;
    while (true) {
        if (n == fields.size()) fields.emplace_back();
        std::string& field = fields[n];
        field.clear();
        while (i < line.size() && is_space(line[i])) ++i;
        if (i < line.size() && line[i] == '"') {
            ++i;
            while (true) {
                if (i >= line.size()) return false;
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += line[i++];
            }
            while (i < line.size() && is_space(line[i])) ++i;
            if (i < line.size() && line[i] != ',') return false;
        } else {
            const std::size_t end = line.find(',', i);
            const std::string_view raw = line.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
            if (raw.find('"') != std::string_view::npos) return false;
            field.assign(trim(raw));
            i = end == std::string_view::npos ? line.size() : end;
        }
        ++n;
        if (i >= line.size()) return true;
        ++i;  // the comma
    }
}

std::string quoted(std::string_view s) { return std::string("\"").append(s).append("\""); }

// What a list line that is not an address or CIDR holds, so that the warning can say what a feed
// lost: threat trails (maltrail) mix addresses with domain names, URLs and `address:port` pairs.
enum class Skipped : std::uint8_t { address_port, domain, url, hash, other };
constexpr std::size_t skipped_kinds = 5;

// A host name: labels of letters, digits, '-', '_' or '*' between single dots, two at least (a
// trailing dot allowed), the last one with a letter (no top-level domain is numeric: 999.1.1.1 is
// no name). Punycode (xn--) passes; UTF-8 names and defanged ones (evil[.]com) do not.
bool is_domain_name(std::string_view t) {
    if (!t.empty() && t.back() == '.') t.remove_suffix(1);
    std::size_t labels = 0;
    bool letter = false;
    for (std::size_t start = 0; start <= t.size();) {
        const std::size_t dot = std::min(t.find('.', start), t.size());
        if (dot == start) return false;  // an empty label
        letter = false;
        for (std::size_t i = start; i < dot; ++i) {
            const char c = t[i];
            const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!(alpha || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*')) return false;
            letter = letter || alpha;
        }
        ++labels;
        start = dot + 1;
    }
    return labels >= 2 && letter;
}

Skipped skipped_kind(std::string_view t) {
    // `192.0.2.1:443` or `[2001:db8::1]:443` (a bare IPv6 address was taken before this is asked;
    // an unbracketed IPv6 address with a port is ambiguous and either taken or "other"), and
    // `c2.example:8080`, a name with a port.
    if (const std::size_t colon = t.rfind(':'); colon != std::string_view::npos) {
        std::string_view host = t.substr(0, colon);
        const auto port = detail::parse_decimal_u64(t.substr(colon + 1));
        const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
        if (bracketed) host = host.substr(1, host.size() - 2);
        if (port && *port <= 65535) {
            if (bracketed ? detail::parse_ipv6_text(host).has_value() : detail::parse_ipv4_text(host).has_value())
                return Skipped::address_port;
            if (!bracketed && is_domain_name(host)) return Skipped::domain;
        }
    }
    if (const std::size_t slash = t.find('/'); slash != std::string_view::npos) {
        // `address/len` that failed as a CIDR (a length past the family's) is a bad entry, not a URL.
        const std::string_view head = t.substr(0, slash);
        const bool address = detail::parse_ipv4_text(head).has_value() || detail::parse_ipv6_text(head).has_value();
        return address && detail::parse_decimal_u64(t.substr(slash + 1)) ? Skipped::other : Skipped::url;
    }
    return is_domain_name(t) ? Skipped::domain : Skipped::other;
}

// The kinds of indicator a CSV value column may hold beside addresses (ThreatFox's export), told
// strictly: a curated file's typo (192.0.2.300/24, 192.0.2.l) must refuse the file, not pass for a
// URL or a name. A URL has a scheme (`http://`); a name's last label is letters (or punycode), two
// at least; a pair's port is 1..65535; a hash is 32, 40 or 64 hex digits (MD5, SHA-1, SHA-256).
// Anything else: nullopt.
std::optional<Skipped> other_indicator_kind(std::string_view v) {
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    if ((v.size() == 32 || v.size() == 40 || v.size() == 64) && std::all_of(v.begin(), v.end(), hex)) return Skipped::hash;
    switch (skipped_kind(v)) {
    case Skipped::url: {
        const std::size_t sep = v.find("://");
        if (sep == std::string_view::npos || sep == 0 || !alpha(v[0])) return std::nullopt;
        for (const char c : v.substr(0, sep))
            if (!(alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-')) return std::nullopt;
        return Skipped::url;
    }
    case Skipped::domain: {
        std::string_view host = v.substr(0, v.rfind(':'));  // a name with a port: its host
        if (!host.empty() && host.back() == '.') host.remove_suffix(1);
        const std::string_view last = host.substr(host.rfind('.') + 1);
        const bool punycode = last.size() > 4 && (last.substr(0, 4) == "xn--" || last.substr(0, 4) == "XN--");
        if (!punycode && (last.size() < 2 || !std::all_of(last.begin(), last.end(), alpha))) return std::nullopt;
        return Skipped::domain;
    }
    case Skipped::address_port:
        return v.substr(v.rfind(':') + 1).find_first_not_of('0') == std::string_view::npos
                   ? std::nullopt  // port 0
                   : std::optional<Skipped>(Skipped::address_port);
    default:
        return std::nullopt;
    }
}

// "871 address:port pairs, 3903 domain names; ..." for the kinds that occurred.
std::string skipped_breakdown(const std::array<std::size_t, skipped_kinds>& n) {
    static constexpr const char* names[skipped_kinds][2] = {{" address:port pair", " address:port pairs"},
                                                            {" domain name", " domain names"},
                                                            {" URL", " URLs"},
                                                            {" file hash", " file hashes"},
                                                            {" other line", " other lines"}};
    std::string out;
    for (std::size_t k = 0; k < skipped_kinds; ++k) {
        if (n[k] == 0) continue;
        if (!out.empty()) out += ", ";
        out += std::to_string(n[k]) + names[k][n[k] == 1 ? 0 : 1];
    }
    if (n[static_cast<std::size_t>(Skipped::address_port)] != 0)
        out += "; an address with a port is not taken, as ports are not matched";
    return out;
}

struct ListPiece {
    std::vector<Indicator> indicators;
    std::size_t lines = 0, unrecognised = 0, normalised = 0;
    std::array<std::size_t, skipped_kinds> skipped{};  // unrecognised, by what they hold
    std::size_t line_count = 0;          // every line of the piece, for the line numbers of later pieces
    std::size_t first_skipped_line = 0;  // 1-based within the piece; 0: none skipped
    std::string_view first_skipped;      // its token
};

// Characters that end a list token: blanks (is_space), a comment ('#', or ';' as Spamhaus writes
// `1.10.16.0/20 ; SBL256894`), the end of the line.
constexpr auto token_end = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : {' ', '\t', '\r', '\v', '\f', '#', ';', '\n'}) t[c] = true;
    return t;
}();

// A whole token `a.b.c.d` or `a.b.c.d/len` at p (strict octets as parse_ipv4_text, len 1..3
// digits <= 32) followed by a token end: parsed, and p moved past it. Otherwise p stays and nullopt.
std::optional<FastPrefix> scan_v4_token(const char*& p, const char* end) {
    const auto digit = [](const char* c) { return static_cast<unsigned>(static_cast<unsigned char>(*c) - '0'); };
    const char* q = p;
    std::uint32_t addr = 0;
    for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) {
            if (q == end || *q != '.') return std::nullopt;
            ++q;
        }
        if (q == end || digit(q) > 9) return std::nullopt;
        unsigned v = digit(q++);
        if (q != end && digit(q) <= 9) {
            if (v == 0) return std::nullopt;  // a leading zero
            v = v * 10 + digit(q++);
            if (q != end && digit(q) <= 9) {
                v = v * 10 + digit(q++);
                if (v > 255) return std::nullopt;
            }
        }
        addr = (addr << 8) | v;
    }
    unsigned len = 32;
    if (q != end && *q == '/') {
        ++q;
        len = 0;
        unsigned digits = 0;
        for (; q != end && digit(q) <= 9 && digits < 4; ++q, ++digits) len = len * 10 + digit(q);
        if (digits == 0 || digits > 3 || len > 32) return std::nullopt;
    }
    if (q != end && !token_end[static_cast<unsigned char>(*q)]) return std::nullopt;
    p = q;
    const std::uint32_t net = len == 0 ? 0u : addr & (0xffffffffu << (32 - len));
    return FastPrefix{Prefix{IpAddress::from_v4(net), static_cast<std::uint8_t>(len)}, net != addr};
}

// One pass over the piece: per line, skip blanks, stop at a comment or the end of the line, take
// the token, skip the rest of the line. Same as: cut at '#' (or ';'), trim, first blank-separated token.
void parse_list_piece(std::string_view piece, ListPiece& out) {
    out.line_count = detail::count_lines(piece);
    out.indicators.reserve(out.line_count);
    const char* p = piece.data();
    const char* const end = p + piece.size();
    const auto next_line = [&] {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        p = nl ? static_cast<const char*>(nl) + 1 : end;
    };
    while (p != end) {
        while (p != end && is_space(*p)) ++p;
        if (p == end) break;
        if (*p == '\n') {
            ++p;
            continue;
        }
        if (*p == '#' || *p == ';') {  // a comment line (';': Spamhaus DROP's header lines)
            next_line();
            continue;
        }
        const char* const t = p;
        ++out.lines;
        if (auto v4 = scan_v4_token(p, end)) {  // the common case: the token scanned and parsed at once
            out.indicators.push_back({v4->prefix, std::string(t, static_cast<std::size_t>(p - t))});
            if (v4->host_bits) ++out.normalised;
            next_line();  // further columns are ignored
            continue;
        }
        const char* slash = nullptr;
        for (; p != end && !token_end[static_cast<unsigned char>(*p)]; ++p)
            if (*p == '/' && !slash) slash = p;
        const std::string_view token(t, static_cast<std::size_t>(p - t));
        if (auto f = parse_token_fast(token, slash ? static_cast<std::size_t>(slash - t) : std::string_view::npos)) {
            out.indicators.push_back({f->prefix, std::string(token)});
            if (f->host_bits) ++out.normalised;
        } else if (auto q = parse_prefix(token)) {
            out.indicators.push_back({*q, std::string(token)});
        } else if (auto h = parse_prefix_with_host_bits(token)) {
            out.indicators.push_back({*h, std::string(token)});
            ++out.normalised;
        } else {
            if (out.unrecognised++ == 0) {  // the example the warning gives: its line counted once
                out.first_skipped = token;
                out.first_skipped_line = 1 + static_cast<std::size_t>(std::count(piece.data(), t, '\n'));
            }
            ++out.skipped[static_cast<std::size_t>(skipped_kind(token))];
        }
        next_line();
    }
}

// Moves every piece's indicators into `into`, in file order.
template <class Piece>
void join(std::vector<Piece>& pieces, std::vector<Indicator>& into) {
    std::size_t total = into.size();
    for (const auto& p : pieces) total += p.indicators.size();
    into.reserve(total);
    for (auto& p : pieces) {
        std::move(p.indicators.begin(), p.indicators.end(), std::back_inserter(into));
        p.indicators = {};
    }
}

struct CsvPiece {
    std::vector<Indicator> indicators;
    std::size_t lines = 0;  // data rows
    std::size_t line_count = 0;  // every line of the piece, for the line numbers of later pieces
    std::size_t error_line = 0;  // 1-based within the piece; 0: no error
    std::string error;
    std::array<std::size_t, skipped_kinds> skipped{};  // rows whose value is another kind of indicator
    std::size_t first_skipped_line = 0;                // 1-based within the piece; 0: none skipped
    std::string first_skipped;                         // its value
};

// A file's skipped entries (list lines, CSV values), gathered from its pieces in file order: how
// many of each kind, where the first is and what it holds; and the warning that says so.
struct SkipTally {
    std::array<std::size_t, skipped_kinds> kinds{};
    std::string first;  // `file:line: 'value'`

    // A piece's counts; its first skipped entry at `first_line` (1-based in the piece, 0: none) after
    // `lines_before` lines of earlier pieces.
    void add(const std::array<std::size_t, skipped_kinds>& piece, std::size_t first_line, std::string_view first_value,
             const std::string& path, std::size_t lines_before) {
        for (std::size_t k = 0; k < skipped_kinds; ++k) kinds[k] += piece[k];
        if (first.empty() && first_line != 0)
            first = path + ":" + std::to_string(lines_before + first_line) + ": '" + printable_text(first_value, 80) + "'";
    }
    std::size_t total() const {
        std::size_t n = 0;
        for (const std::size_t k : kinds) n += k;
        return n;
    }
    // "3 of 10 lines are not IP addresses or CIDRs (skipped, the first at ...): ..."
    std::string warning(std::size_t of, const char* what) const {
        return std::to_string(total()) + " of " + std::to_string(of) + " " + what +
               " are not IP addresses or CIDRs (skipped, the first at " + first + "): " + skipped_breakdown(kinds);
    }
};

}  // namespace

Result<IndicatorSetSource> load_indicator_list(const std::string& name, const std::string& path) {
    auto file = InputFile::open(path, "cannot open");
    if (!file) return file.error();
    IndicatorSetSource src;
    src.name = name;
    auto pieces = parse_pieces<ListPiece>(detail::without_bom(file->text()), parse_list_piece);
    SkipTally tally;
    std::size_t before = 0;  // lines before the current piece
    for (const auto& p : pieces) {
        src.lines += p.lines;
        src.normalised += p.normalised;
        tally.add(p.skipped, p.first_skipped_line, p.first_skipped, path, before);
        before += p.line_count;
    }
    src.unrecognised = tally.total();
    if (src.unrecognised) src.warnings.push_back(tally.warning(src.lines, "lines"));
    join(pieces, src.indicators);
    return src;
}

Result<IndicatorSetSource> load_indicator_csv(const std::string& name, const std::string& path,
                                              const std::string& id_column, const std::string& value_column) {
    auto file = InputFile::open(path, "cannot open");
    if (!file) return file.error();
    const std::string_view text = detail::without_bom(file->text());
    IndicatorSetSource src;
    src.name = name;
    std::optional<Error> error;
    std::size_t header_fields = 0, id_at = 0, value_at = 0, header_line = 0, body_at = text.size();
    std::size_t lines_before_body = 0;
    const auto skipped = [](std::string_view& line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return trim(line).empty() || trim(line).front() == '#';
    };
    // Where `line` names both columns, once each: their places and the field count; else why not.
    const auto header_in = [&](std::string_view line, std::size_t& id, std::size_t& value, std::size_t& fields_n) {
        std::vector<std::string> fields;
        if (!split_csv(line, fields, fields_n)) return std::string("unterminated or misplaced quote");
        const auto find_column = [&](const std::string& column, std::size_t& at) -> std::string {
            std::size_t hits = 0;
            for (std::size_t i = 0; i < fields_n; ++i)
                if (fields[i] == column) {
                    at = i;
                    ++hits;
                }
            if (hits == 0) return "header has no column " + quoted(column);
            if (hits > 1) return "header names column " + quoted(column) + " more than once";
            return {};
        };
        std::string why = find_column(id_column, id);
        return why.empty() ? find_column(value_column, value) : why;
    };

    // The header: the first line that is not blank or a comment (serial, it is one line); or, where
    // that line does not name the columns, the comment line just before it when that one does
    // (abuse.ch's CSV feeds write their header as `# "first_seen_utc","dst_ip",...`). Each comment is
    // judged once, as it is read: the last one naming both columns (for a feed of comments only,
    // `# END 0 entries`: an empty set), and the last naming one of them only (a header meant, whose
    // error is the one to report: one of its CSV fields is a column name).
    struct CommentHeader {
        std::size_t line = 0;  // 0: none
        std::size_t id = 0, value = 0, fields = 0;
    } full;
    std::size_t near_line = 0, last_comment_line = 0;  // last_comment_line: 0 after a blank line
    std::string near_why;
    const auto names_a_column = [&](std::string_view comment) {
        std::vector<std::string> fields;
        std::size_t fields_n = 0;
        return split_csv(comment, fields, fields_n) &&
               std::any_of(fields.begin(), fields.begin() + static_cast<std::ptrdiff_t>(fields_n),
                           [&](const std::string& f) { return f == id_column || f == value_column; });
    };
    const auto use_comment_header = [&] {
        id_at = full.id;
        value_at = full.value;
        header_fields = full.fields;
        header_line = full.line;
    };
    for_each_line(text, 1, [&](std::size_t line_no, std::string_view line) {
        const std::string_view raw = line;
        if (skipped(line)) {
            const std::string_view t = trim(line);
            last_comment_line = t.empty() ? 0 : line_no;  // a blank line parts a comment from the rows
            if (t.empty()) return true;
            const std::string_view comment = trim(t.substr(1));
            CommentHeader h{line_no};
            if (std::string why = header_in(comment, h.id, h.value, h.fields); why.empty()) {
                full = h;
            } else if (names_a_column(comment)) {
                near_line = line_no;
                near_why = std::move(why);
            }
            return true;
        }
        std::string why = header_in(line, id_at, value_at, header_fields);
        if (why.empty()) {
            header_line = line_no;
            lines_before_body = line_no;
            body_at = std::min(static_cast<std::size_t>(raw.data() + raw.size() - text.data()) + 1, text.size());
        } else if (last_comment_line != 0 && full.line == last_comment_line) {  // the comment is the header
            use_comment_header();
            lines_before_body = line_no - 1;  // this line is the first row
            body_at = static_cast<std::size_t>(raw.data() - text.data());
        } else if (last_comment_line != 0 && near_line == last_comment_line) {  // the header meant
            header_line = near_line;
            error = error_at(path, near_line, near_why);
        } else {
            header_line = line_no;
            error = error_at(path, line_no, why);
        }
        return false;
    });
    if (error) return *error;
    if (header_line == 0 && full.line != 0) use_comment_header();  // comments only: a feed with no rows
    if (header_line == 0 && near_line != 0) return error_at(path, near_line, near_why);
    if (header_line == 0) return error_at(path, 0, "no header row");

    // The rows, in parallel pieces; each stops at its first error and the earliest one is reported.
    auto pieces = parse_pieces<CsvPiece>(text.substr(body_at), [&](std::string_view piece, CsvPiece& out) {
        out.line_count = detail::count_lines(piece);
        out.indicators.reserve(out.line_count);
        std::vector<std::string> row;
        std::size_t m = 0;
        for_each_line(piece, 1, [&](std::size_t line_no, std::string_view line) {
            const auto fail = [&](std::string what) {
                out.error_line = line_no;
                out.error = std::move(what);
                return false;
            };
            if (skipped(line)) return true;
            if (!split_csv(line, row, m)) return fail("unterminated or misplaced quote");
            ++out.lines;
            if (m != header_fields)
                return fail("row has " + std::to_string(m) + " fields, header has " + std::to_string(header_fields));
            if (row[id_at].empty()) return fail("empty " + quoted(id_column));
            if (const std::string why = id_too_long(row[id_at]); !why.empty())
                return fail("column " + quoted(id_column) + ": " + why);
            auto p = parse_prefix(row[value_at]);
            if (!p) {
                // A feed of mixed indicators (abuse.ch's ThreatFox: addresses with ports, names,
                // URLs and file hashes in one column) is taken for its addresses, the rest counted as
                // in a list; a value that is none of these (a broken address, host bits set) refuses
                // the file.
                const std::optional<Skipped> kind = other_indicator_kind(row[value_at]);
                if (!kind) return fail("column " + quoted(value_column) + ": " + p.error().message);
                if (out.first_skipped_line == 0) {
                    out.first_skipped_line = line_no;
                    out.first_skipped = std::move(row[value_at]);
                }
                ++out.skipped[static_cast<std::size_t>(*kind)];
                return true;
            }
            out.indicators.push_back({*p, std::move(row[id_at])});
            return true;
        });
    });
    std::size_t before = lines_before_body;  // lines before the current piece
    SkipTally tally;
    for (const auto& p : pieces) {
        if (p.error_line != 0) return error_at(path, before + p.error_line, p.error);
        src.lines += p.lines;
        tally.add(p.skipped, p.first_skipped_line, p.first_skipped, path, before);
        before += p.line_count;
    }
    src.unrecognised = tally.total();
    if (src.unrecognised) src.warnings.push_back(tally.warning(src.lines, "rows"));
    join(pieces, src.indicators);
    return src;
}

}  // namespace flowsieve
