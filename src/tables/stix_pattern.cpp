// stix_pattern.cpp: a reader of the STIX 2.1 patterning grammar that keeps only the addresses a
// pattern names on their own (stix_pattern.hpp). Control plane.
//
// Precedence, loosest first (STIX 2.1 part 5, "STIX Patterning"): FOLLOWEDBY, then OR, then AND
// between observations; OR, then AND between comparisons inside brackets; qualifiers bind to the
// observation before them. Each sub-expression yields the addresses that are enough for it to
// match: OR joins its sides' addresses, AND / FOLLOWEDBY / a qualifier yield none (an address is then
// only part of a condition).
#include "tables/stix_pattern.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

namespace flowsieve {

namespace {

enum class Tok { end, lbracket, rbracket, lparen, rparen, comma, op, string, typed, word };

struct Token {
    Tok kind = Tok::end;
    std::string text;     // op, word: as written; string, typed: the unescaped value
    std::size_t column = 0;  // 1-based, for errors
};

struct Failure {
    std::string what;
};

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':' || c == '.' || c == '+' || c == '*';
}

// A quoted literal starting at text[i] == '\'': its value with \' and \\ unescaped; i moves past it.
std::string quoted_literal(std::string_view text, std::size_t& i) {
    const std::size_t start = i++;
    std::string value;
    while (true) {
        if (i >= text.size()) throw Failure{"unterminated string starting at column " + std::to_string(start + 1)};
        const char c = text[i++];
        if (c == '\'') return value;
        if (c == '\\') {
            if (i >= text.size() || (text[i] != '\'' && text[i] != '\\'))
                throw Failure{"bad escape in the string at column " + std::to_string(i)};
            value += text[i++];
            continue;
        }
        value += c;
    }
}

// The character at text[i] for an error message: itself in quotes, and a non-ASCII one whole (all
// of its UTF-8 bytes, not the first alone, which made the message binary to grep) with its code
// point: typographic quotes (U+2018, U+2019) pasted in place of ' are the usual cause.
std::string character_at(std::string_view text, std::size_t i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) return std::string("'") + text[i] + "'";
    const std::size_t len = lead >= 0xF0 && lead < 0xF5 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead < 0xE0 ? 2 : 0;
    std::uint32_t cp = len == 4 ? lead & 0x07u : len == 3 ? lead & 0x0Fu : lead & 0x1Fu;
    bool whole = len != 0 && i + len <= text.size();
    for (std::size_t k = 1; whole && k < len; ++k) {
        const auto b = static_cast<unsigned char>(text[i + k]);
        whole = (b & 0xC0) == 0x80;
        cp = cp << 6 | (b & 0x3Fu);
    }
    char hex[16];
    if (!whole) {
        std::snprintf(hex, sizeof hex, "0x%02X", lead);
        return std::string("byte ") + hex + " (not UTF-8)";
    }
    std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
    return "'" + std::string(text.substr(i, len)) + "' (" + hex + ")";
}

std::vector<Token> tokens_of(std::string_view text) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (true) {
        // Blanks and comments (/* ... */ and // to the end of the line) separate tokens.
        while (i < text.size()) {
            if (std::isspace(static_cast<unsigned char>(text[i]))) {
                ++i;
            } else if (text.substr(i, 2) == "/*") {
                const std::size_t end = text.find("*/", i + 2);
                if (end == std::string_view::npos) throw Failure{"unterminated comment at column " + std::to_string(i + 1)};
                i = end + 2;
            } else if (text.substr(i, 2) == "//") {
                const std::size_t end = text.find('\n', i);
                i = end == std::string_view::npos ? text.size() : end + 1;
            } else {
                break;
            }
        }
        Token t;
        t.column = i + 1;
        if (i >= text.size()) {
            out.push_back(t);
            return out;
        }
        const char c = text[i];
        if (c == '[' || c == ']' || c == '(' || c == ')' || c == ',') {
            t.kind = c == '[' ? Tok::lbracket : c == ']' ? Tok::rbracket : c == '(' ? Tok::lparen : c == ')' ? Tok::rparen : Tok::comma;
            ++i;
        } else if (c == '=' || c == '!' || c == '<' || c == '>') {
            t.kind = Tok::op;
            t.text = c;
            ++i;
            // =, ==, !=, <>, <, <=, >, >=
            if (i < text.size() && (text[i] == '=' || (c == '<' && text[i] == '>'))) t.text += text[i++];
            if (t.text == "!") throw Failure{"expected '!=' at column " + std::to_string(t.column)};
        } else if (c == '\'') {
            t.kind = Tok::string;
            t.text = quoted_literal(text, i);
        } else if (is_word_char(c)) {
            // A word: a keyword, a number or an object path. A path may hold quoted components
            // (file:hashes.'SHA-256', kept without their quotes: only the path's identity is read)
            // and list indexes (extensions[*], to_refs[0]).
            t.kind = Tok::word;
            while (i < text.size()) {
                if (is_word_char(text[i])) {
                    t.text += text[i++];
                } else if (text[i] == '\'' && !t.text.empty() && (t.text.back() == '.' || t.text.back() == ':')) {
                    t.text += quoted_literal(text, i);
                } else if (text[i] == '[' && t.text.find(':') != std::string::npos) {
                    const std::size_t close = text.find(']', i);
                    if (close == std::string_view::npos) throw Failure{"unterminated index at column " + std::to_string(i + 1)};
                    t.text += text.substr(i, close + 1 - i);
                    i = close + 1;
                } else {
                    break;
                }
            }
            // t'...', b'...', h'...': a timestamp, binary or hex literal.
            if ((t.text == "t" || t.text == "b" || t.text == "h") && i < text.size() && text[i] == '\'') {
                t.kind = Tok::typed;
                t.text = quoted_literal(text, i);
            }
        } else {
            throw Failure{"unexpected " + character_at(text, i) + " at column " + std::to_string(t.column)};
        }
        out.push_back(std::move(t));
    }
}

// What a sub-expression matches on an address alone.
struct Part {
    std::vector<StixAddress> addresses;
    bool complete = true;
    // A comparison that only checks a network-traffic end's type ("network-traffic:dst_ref.type =
    // 'ipv4-addr'"): no address, and neutral beside that end's address under AND (both()).
    struct EndType {
        std::string end;  // network-traffic:dst_ref
        bool v6 = false;
    };
    std::optional<EndType> end_type;
};

Part none() { return Part{{}, false, std::nullopt}; }

Part either(Part a, Part b) {
    a.addresses.insert(a.addresses.end(), std::make_move_iterator(b.addresses.begin()), std::make_move_iterator(b.addresses.end()));
    a.complete = a.complete && b.complete;
    a.end_type.reset();  // a type check as a disjunct is true of every address of the type: no address is enough
    return a;
}

// AND between comparisons: no address is enough alone, except beside a check of its own end's type
// that its value already meets (stix_pattern.hpp).
Part both(Part a, Part b) {
    if (b.end_type) std::swap(a, b);
    if (!a.end_type || b.end_type || !b.complete || b.addresses.empty()) return none();
    const Part::EndType& t = *a.end_type;
    const bool fits = std::all_of(b.addresses.begin(), b.addresses.end(), [&](const StixAddress& x) {
        return x.path == t.end + ".value" && x.v6 == t.v6;
    });
    return fits ? b : none();
}

// Whether a network-traffic end's value is written as an IP address or CIDR (or as a typo of one,
// which the loader then reports). An end may also be a domain name or a MAC address: such a value
// names no address, like a domain-name comparison.
bool address_shaped(std::string_view v) {
    const auto only = [&](std::string_view chars) { return v.find_first_not_of(chars) == std::string_view::npos; };
    const bool mac = v.size() == 17 && only("0123456789abcdefABCDEF:-") && v[2] == v[5] && (v[2] == ':' || v[2] == '-');
    return !v.empty() && (only("0123456789./") || (v.find(':') != std::string_view::npos && !mac && only("0123456789abcdefABCDEF:./")));
}

// "network-traffic:dst_ref" for "network-traffic:dst_ref.<field>", else empty.
std::string_view traffic_end(std::string_view path, std::string_view field) {
    for (std::string_view end : {"network-traffic:src_ref", "network-traffic:dst_ref"})
        if (path.size() == end.size() + 1 + field.size() && path.starts_with(end) && path[end.size()] == '.' &&
            path.ends_with(field))
            return end;
    return {};
}

class Reader {
public:
    explicit Reader(std::vector<Token> tokens) : t_(std::move(tokens)) {}

    Part pattern() {
        Part p = followed_by();
        if (peek().kind != Tok::end) fail("expected the end of the pattern");
        return p;
    }

private:
    // Parentheses nest at most this deep: the reader recurses once per level, and a bundle is
    // third-party input (a pattern of a million '(' must be an error, not a stack overflow).
    static constexpr int max_depth = 64;
    struct Nesting {
        Reader& r;
        explicit Nesting(Reader& reader) : r(reader) {
            if (++r.depth_ > max_depth) r.fail("parentheses nested deeper than " + std::to_string(max_depth));
        }
        ~Nesting() { --r.depth_; }
        Nesting(const Nesting&) = delete;
        Nesting& operator=(const Nesting&) = delete;
    };

    const Token& peek() const { return t_[i_]; }
    // Keywords in any case: STIX 2.1 writes them in capitals, STIX 2.0 patterns also in lower case,
    // and no object path or literal is spelt like one.
    bool is_word(std::string_view w) const {
        const std::string& t = peek().text;
        return peek().kind == Tok::word && t.size() == w.size() &&
               std::equal(t.begin(), t.end(), w.begin(), [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw Failure{what + " at column " + std::to_string(peek().column)};
    }
    const Token& take() {
        const Token& t = t_[i_];
        if (t.kind != Tok::end) ++i_;
        return t;
    }
    void expect(Tok kind, const char* what) {
        if (peek().kind != kind) fail(std::string("expected ") + what);
        take();
    }
    void expect_word(std::string_view w) {
        if (!is_word(w)) fail("expected " + std::string(w));
        take();
    }

    // `next (word next)*`, left to right. Joined by OR, the sides' addresses add up; joined by AND or
    // FOLLOWEDBY, no address is enough alone.
    Part chain(std::string_view word, Part (Reader::*next)(), bool disjunction) {
        Part p = (this->*next)();
        while (is_word(word)) {
            take();
            Part q = (this->*next)();
            p = disjunction ? either(std::move(p), std::move(q)) : none();
        }
        return p;
    }

    // `( inner )`, counted against max_depth.
    Part parenthesised(Part (Reader::*inner)()) {
        const Nesting n(*this);
        take();
        Part p = (this->*inner)();
        expect(Tok::rparen, "')'");
        return p;
    }

    // Observation expressions.
    Part followed_by() { return chain("FOLLOWEDBY", &Reader::observation_or, false); }
    Part observation_or() { return chain("OR", &Reader::observation_and, true); }
    Part observation_and() { return chain("AND", &Reader::qualified, false); }
    Part qualified() {
        Part p = observation();
        while (true) {
            if (is_word("WITHIN")) {
                take();
                number();
                expect_word("SECONDS");
            } else if (is_word("START")) {
                take();
                timestamp();
                expect_word("STOP");
                timestamp();
            } else if (is_word("REPEATS")) {
                take();
                number();
                expect_word("TIMES");
            } else {
                return p;
            }
            p = none();  // a qualified observation needs more than the address being seen
        }
    }
    Part observation() {
        if (peek().kind == Tok::lbracket) {
            take();
            Part p = comparison_or();
            expect(Tok::rbracket, "']'");
            return p;
        }
        if (peek().kind == Tok::lparen) return parenthesised(&Reader::followed_by);
        fail("expected '[' or '('");
    }

    // Comparison expressions, inside brackets.
    Part comparison_or() { return chain("OR", &Reader::comparison_and, true); }
    Part comparison_and() {
        Part p = comparison();
        while (is_word("AND")) {
            take();
            p = both(std::move(p), comparison());
        }
        return p;
    }
    Part comparison() {
        if (peek().kind == Tok::lparen) return parenthesised(&Reader::comparison_or);
        if (is_word("EXISTS")) {
            take();
            path();
            return none();
        }
        const std::string object_path = path();
        bool negated = false;
        if (is_word("NOT")) {
            take();
            negated = true;
        }
        const bool v4 = object_path == "ipv4-addr:value", v6 = object_path == "ipv6-addr:value";
        const bool end_value = !traffic_end(object_path, "value").empty();
        const std::string_view end_of_type = traffic_end(object_path, "type");
        std::vector<Token> values;  // string values the comparison is true for alone
        bool address_test = false;
        if (peek().kind == Tok::op) {
            const std::string op = take().text;
            const Token& lit = literal();
            address_test = (op == "=" || op == "==") && lit.kind == Tok::string;
            if (address_test) values.push_back(lit);
        } else if (is_word("IN")) {
            take();
            expect(Tok::lparen, "'('");
            if (peek().kind == Tok::rparen) {  // the empty set: never true
                take();
                return none();
            }
            address_test = true;
            while (true) {
                const Token& lit = literal();
                address_test = address_test && lit.kind == Tok::string;
                values.push_back(lit);
                if (peek().kind != Tok::comma) break;
                take();
            }
            expect(Tok::rparen, "')'");
        } else if (is_word("ISSUBSET")) {  // the address lies in the CIDR: the CIDR is the indicator
            take();
            const Token& lit = literal();
            address_test = lit.kind == Tok::string;
            values.push_back(lit);
        } else if (is_word("ISSUPERSET") || is_word("LIKE") || is_word("MATCHES")) {
            take();
            literal();
        } else {
            fail("expected a comparison operator");
        }
        if (!end_of_type.empty() && !negated && address_test && values.size() == 1 &&
            (values[0].text == "ipv4-addr" || values[0].text == "ipv6-addr")) {
            Part p = none();
            p.end_type = Part::EndType{std::string(end_of_type), values[0].text == "ipv6-addr"};
            return p;
        }
        if (!(v4 || v6 || end_value) || negated || !address_test) return none();
        Part p;
        for (const Token& v : values) {
            if (end_value && !address_shaped(v.text)) {  // a domain name or MAC address at that end
                p.complete = false;
                continue;
            }
            p.addresses.push_back({end_value ? v.text.find(':') != std::string::npos : v6, v.text, object_path});
        }
        return p.addresses.empty() ? none() : p;
    }

    std::string path() {
        if (peek().kind != Tok::word || peek().text.find(':') == std::string::npos) fail("expected an object path");
        return take().text;
    }
    const Token& literal() {
        const Token& t = peek();
        if (t.kind == Tok::string || t.kind == Tok::typed || (t.kind == Tok::word && t.text.find(':') == std::string::npos))
            return take();  // a string, t'...', b'...', h'...', a number, true or false
        fail("expected a literal");
    }
    // 5, +5, 0.5, .5: a positive integer or float.
    void number() {
        const std::string& t = peek().text;
        const bool starts = !t.empty() && (std::isdigit(static_cast<unsigned char>(t.front())) || t.front() == '+' || t.front() == '.');
        if (peek().kind != Tok::word || !starts || t.find_first_of("0123456789") == std::string::npos) fail("expected a number");
        take();
    }
    // t'2016-06-01T00:00:00Z' (STIX 2.1), or a plain string (STIX 2.0).
    void timestamp() {
        if (peek().kind != Tok::typed && peek().kind != Tok::string) fail("expected a t'...' timestamp");
        take();
    }

    std::vector<Token> t_;
    std::size_t i_ = 0;
    int depth_ = 0;
};

}  // namespace

Result<StixPatternAddresses> stix_pattern_addresses(std::string_view pattern) {
    try {
        Part p = Reader(tokens_of(pattern)).pattern();
        return StixPatternAddresses{std::move(p.addresses), p.complete};
    } catch (const Failure& f) {
        return Error{f.what};
    }
}

}  // namespace flowsieve
