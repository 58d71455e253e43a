// record_comment.cpp: formats the per-packet comment. Exporter thread.
#include "export/record_comment.hpp"

#include <algorithm>

#include "core/record_id.hpp"

namespace flowsieve {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

// An ASCII byte a value may hold as it is: printable, but the two the syntax and the escape use
// ('=' parts a key from its value, '%' escapes).
bool kept_ascii(unsigned char u) { return u >= 0x21 && u <= 0x7e && u != '=' && u != '%'; }

// A non-ASCII character a value may hold as it is: one that shows as itself. Not C1 controls, the
// Unicode blanks and line or paragraph separators (a reader splitting on white space would cut
// the value), nor the invisible format characters (bidirectional overrides reorder what a terminal
// shows, zero-width ones hide a difference): a feed's indicator ids are anybody's text.
bool kept_non_ascii(char32_t c) {
    // C1, the no-break and other spaces, soft hyphen, combining grapheme joiner, Arabic letter mark,
    // Hangul fillers, Mongolian selectors and vowel separator.
    if (c <= 0xA0 || c == 0xAD || c == 0x34F || c == 0x61C || c == 0x115F || c == 0x1160 || c == 0x1680 ||
        (c >= 0x180B && c <= 0x180F) || c == 0x3000 || c == 0x3164 || c == 0xFFA0 || c == 0xFEFF)
        return false;
    // Spaces, zero-width characters, marks, separators and bidirectional controls of General Punctuation.
    if ((c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F)) return false;
    // Variation selectors, interlinear annotation, musical formatting, tags.
    return !((c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0x1D173 && c <= 0x1D17A) ||
             (c >= 0xE0000 && c <= 0xE0FFF));
}

// The length and code point of the UTF-8 sequence at s[i] (the value is known to be UTF-8).
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& c) {
    const auto u = static_cast<unsigned char>(s[i]);
    const std::size_t n = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
    c = u & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < n; ++k) c = c << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return n;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

// Written through a pointer into `out`, sized once for the longest result: the exporter formats
// a comment for every record, and appending piece by piece was a fifth of its time (perf).
void format_record_comment(const RecordCommentFields& f, std::string& out) {
    struct Pair {
        std::string_view key, value;
        bool optional;  // left out when empty (the indicator)
    };
    const Pair pairs[] = {{"category", f.category, false}, {"auth", f.authorisation, false}, {"rule", f.rule, false},
                          {"indicator", f.indicator, true}, {"src_cc", f.src_cc, false}, {"dst_cc", f.dst_cc, false}};
    std::size_t room = 0;
    for (const Pair& x : pairs) room += x.key.size() + 3 * x.value.size() + 3;  // escapes; ' ', '=' and a '-' for empty
    constexpr std::string_view cut = " headers_cut=yes";
    room += cut.size();
    out.resize(room);
    char* const begin = out.data();
    char* p = begin;
    for (const Pair& x : pairs) {
        if (x.optional && x.value.empty()) continue;
        if (p != begin) *p++ = ' ';
        p = std::copy(x.key.begin(), x.key.end(), p);
        *p++ = '=';
        if (x.value.empty() || x.value == "-") {  // "-" stands for an empty value, so a value "-" is escaped
            p = x.value.empty() ? std::copy_n("-", 1, p) : std::copy_n("%2D", 3, p);
            continue;
        }
        const bool utf8 = is_utf8(x.value);
        for (std::size_t i = 0; i < x.value.size();) {
            const auto u = static_cast<unsigned char>(x.value[i]);
            std::size_t n = 1;  // bytes of this character
            bool keep = kept_ascii(u);
            if (u >= 0x80 && utf8) {
                char32_t c = 0;
                n = utf8_sequence(x.value, i, c);
                keep = kept_non_ascii(c);
            }
            for (std::size_t k = 0; k < n; ++k, ++i) {
                const auto b = static_cast<unsigned char>(x.value[i]);
                if (keep) {
                    *p++ = static_cast<char>(b);
                } else {  // %XX, so that two different values never read alike
                    *p++ = '%';
                    *p++ = hex_digits[b >> 4];
                    *p++ = hex_digits[b & 0xF];
                }
            }
        }
    }
    if (f.headers_cut) p = std::copy(cut.begin(), cut.end(), p);
    out.resize(static_cast<std::size_t>(p - begin));
}

std::string format_record_comment(const RecordCommentFields& f) {
    std::string out;
    out.reserve(96);
    format_record_comment(f, out);
    return out;
}

std::string_view record_comment_value(std::string_view comment, std::string_view key) {
    std::size_t start = 0;
    while (start < comment.size()) {
        std::size_t end = comment.find(' ', start);
        if (end == std::string_view::npos) end = comment.size();
        const std::string_view pair = comment.substr(start, end - start);
        if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=')
            return pair.substr(key.size() + 1);
        start = end + 1;
    }
    return {};
}

std::string record_comment_text(std::string_view value) {
    if (value == "-") return {};
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        const int hi = value[i] == '%' && i + 2 < value.size() ? hex_value(value[i + 1]) : -1;
        const int lo = hi >= 0 ? hex_value(value[i + 2]) : -1;
        if (lo >= 0) {
            out += static_cast<char>(hi << 4 | lo);
            i += 2;
        } else {
            out += value[i];
        }
    }
    return out;
}

}  // namespace flowsieve
