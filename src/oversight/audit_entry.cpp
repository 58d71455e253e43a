// audit_entry.cpp: JSON encoding of audit entries and the top-level field scanner (control plane).
#include "oversight/audit_entry.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace flowsieve {

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

void AuditFields::key(std::string_view k) {
    if (!body_.empty()) body_ += ',';
    body_ += json_string(k);
    body_ += ':';
}

AuditFields& AuditFields::add(std::string_view k, std::string_view text) {
    key(k);
    body_ += json_string(text);
    return *this;
}

AuditFields& AuditFields::add(std::string_view k, std::uint64_t n) {
    key(k);
    body_ += std::to_string(n);
    return *this;
}

AuditFields& AuditFields::add(std::string_view k, std::int64_t n) {
    key(k);
    body_ += std::to_string(n);
    return *this;
}

AuditFields& AuditFields::add(std::string_view k, bool b) {
    key(k);
    body_ += b ? "true" : "false";
    return *this;
}

AuditFields& AuditFields::add(std::string_view k, const std::vector<std::string>& texts) {
    key(k);
    body_ += '[';
    for (std::size_t i = 0; i < texts.size(); ++i) body_.append(i ? "," : "").append(json_string(texts[i]));
    body_ += ']';
    return *this;
}

AuditFields& AuditFields::add(std::string_view k, const std::vector<std::uint64_t>& numbers) {
    key(k);
    body_ += '[';
    for (std::size_t i = 0; i < numbers.size(); ++i) body_.append(i ? "," : "").append(std::to_string(numbers[i]));
    body_ += ']';
    return *this;
}

AuditFields& AuditFields::add_object(std::string_view k, const AuditFields& inner) {
    key(k);
    body_ += '{' + inner.body() + '}';
    return *this;
}

AuditFields& AuditFields::add_objects(std::string_view k, const std::vector<AuditFields>& items) {
    key(k);
    body_ += '[';
    for (std::size_t i = 0; i < items.size(); ++i) body_ += (i ? ",{" : "{") + items[i].body() + '}';
    body_ += ']';
    return *this;
}

namespace {

// A minimal JSON reader: enough to find where each value ends. Strict about structure so that an
// edited byte that breaks the syntax is reported as such.
class Scanner {
public:
    explicit Scanner(std::string_view s) : s_(s) {}

    bool object(std::map<std::string, std::string>* top) {
        if (!eat('{')) return false;
        ws();
        if (eat('}')) return true;
        for (;;) {
            ws();
            const std::size_t kstart = i_;
            if (!string()) return false;
            auto k = json_string_value(s_.substr(kstart, i_ - kstart));
            if (!k) return false;  // a key the writer never writes (an escape past ASCII): not an entry
            ws();
            if (!eat(':')) return false;
            ws();
            const std::size_t vstart = i_;
            if (!value()) return false;
            if (top && !top->emplace(*k, std::string(s_.substr(vstart, i_ - vstart))).second) return false;  // duplicate key
            ws();
            if (eat('}')) return true;
            if (!eat(',')) return false;
        }
    }
    bool at_end() const { return i_ == s_.size(); }

private:
    bool value() {
        if (i_ >= s_.size() || ++depth_ > 16) return false;
        bool ok;
        const char c = s_[i_];
        if (c == '{') ok = object(nullptr);
        else if (c == '[') ok = array();
        else if (c == '"') ok = string();
        else if (c == '-' || (c >= '0' && c <= '9')) ok = number();
        else ok = literal("true") || literal("false") || literal("null");
        --depth_;
        return ok;
    }
    bool array() {
        eat('[');
        ws();
        if (eat(']')) return true;
        for (;;) {
            ws();
            if (!value()) return false;
            ws();
            if (eat(']')) return true;
            if (!eat(',')) return false;
        }
    }
    bool string() {
        if (!eat('"')) return false;
        while (i_ < s_.size()) {
            const char c = s_[i_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c == '\\') {
                if (i_ >= s_.size()) return false;
                const char e = s_[i_++];
                if (e == 'u') {
                    for (int n = 0; n < 4; ++n, ++i_)
                        if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) return false;
                } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                    return false;
                }
            }
        }
        return false;
    }
    bool number() {
        const std::size_t start = i_;
        eat('-');
        while (i_ < s_.size() && ((s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E' ||
                                  s_[i_] == '+' || s_[i_] == '-'))
            ++i_;
        return i_ > start && s_[i_ - 1] >= '0' && s_[i_ - 1] <= '9';
    }
    bool literal(std::string_view w) {
        if (s_.substr(i_, w.size()) != w) return false;
        i_ += w.size();
        return true;
    }
    bool eat(char c) {
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }

    std::string_view s_;
    std::size_t i_ = 0;
    int depth_ = 0;
};

}  // namespace

std::optional<std::map<std::string, std::string>> scan_audit_line(std::string_view line) {
    std::map<std::string, std::string> top;
    Scanner sc(line);
    if (!sc.object(&top) || !sc.at_end()) return std::nullopt;
    return top;
}

std::optional<std::string> json_string_value(std::string_view raw) {
    if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::nullopt;
    std::string out;
    for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
        char c = raw[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i + 2 >= raw.size()) return std::nullopt;
        const char e = raw[++i];
        switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                if (i + 4 >= raw.size()) return std::nullopt;
                const unsigned long v = std::stoul(std::string(raw.substr(i + 1, 4)), nullptr, 16);
                if (v > 0x7f) return std::nullopt;  // the writer only escapes control characters
                out += static_cast<char>(v);
                i += 4;
                break;
            }
            default: out += e;
        }
    }
    return out;
}

std::optional<std::vector<std::string_view>> json_array_items(std::string_view raw) {
    if (raw.size() < 2 || raw.front() != '[' || raw.back() != ']') return std::nullopt;
    std::vector<std::string_view> out;
    std::string_view body = raw.substr(1, raw.size() - 2);
    std::size_t start = 0;
    bool in_string = false;
    for (std::size_t i = 0; i <= body.size(); ++i) {
        if (i < body.size()) {
            const char c = body[i];
            if (in_string) {
                if (c == '\\') ++i;
                else if (c == '"') in_string = false;
                continue;
            }
            if (c == '"') {
                in_string = true;
                continue;
            }
            if (c == '[' || c == '{') return std::nullopt;
            if (c != ',') continue;
        }
        std::string_view item = body.substr(start, i - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item.empty()) {
            if (i == body.size() && out.empty()) break;  // []
            return std::nullopt;
        }
        out.push_back(item);
        start = i + 1;
    }
    return out;
}

std::optional<std::uint64_t> json_uint_value(std::string_view raw) {
    if (raw.empty() || raw.size() > 20 || (raw.size() > 1 && raw[0] == '0')) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : raw) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

std::string rfc3339_ns(std::int64_t unix_ns) {
    std::int64_t secs = unix_ns / 1'000'000'000, frac = unix_ns % 1'000'000'000;
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    const auto t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
    return buf;
}

}  // namespace flowsieve
