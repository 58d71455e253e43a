// audit_entry.hpp: one audit-log line: a flat JSON object written field by field, and a scanner
// that reads the top-level fields back (control plane: writer and `flowsieve audit verify`).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowsieve {

// Builds the payload of an entry: `"key":value` pairs in the order added (the bytes are hashed,
// so the order is part of the entry).
class AuditFields {
public:
    AuditFields& add(std::string_view key, std::string_view text);  // JSON string, escaped
    AuditFields& add(std::string_view key, const char* text) { return add(key, std::string_view(text)); }
    AuditFields& add(std::string_view key, std::uint64_t n);
    AuditFields& add(std::string_view key, std::int64_t n);
    AuditFields& add(std::string_view key, bool b);
    AuditFields& add(std::string_view key, const std::vector<std::string>& texts);  // array of strings
    AuditFields& add(std::string_view key, const std::vector<std::uint64_t>& numbers);  // array of numbers
    AuditFields& add_object(std::string_view key, const AuditFields& inner);       // nested object
    AuditFields& add_objects(std::string_view key, const std::vector<AuditFields>& items);  // array of objects

    const std::string& body() const { return body_; }  // `"a":1,"b":"x"` (no braces)
    bool empty() const { return body_.empty(); }

private:
    void key(std::string_view k);
    std::string body_;
};

// `"text"` with JSON escapes (control characters as \u00XX): an entry is always one line.
std::string json_string(std::string_view text);

// The top-level fields of one line, each as its raw JSON text; nullopt when the line is not one
// well-formed JSON object (nested values are skipped, not interpreted).
std::optional<std::map<std::string, std::string>> scan_audit_line(std::string_view line);
// The value of a raw JSON string token, or nullopt when it is not a string.
std::optional<std::string> json_string_value(std::string_view raw);
// The value of a raw JSON non-negative integer token.
std::optional<std::uint64_t> json_uint_value(std::string_view raw);
// The elements of a raw JSON array of scalars (as scan_audit_line gives it), each as raw text;
// nullopt when `raw` is not such an array.
std::optional<std::vector<std::string_view>> json_array_items(std::string_view raw);

// RFC 3339 UTC with nanoseconds: 2026-01-02T03:04:05.123456789Z.
std::string rfc3339_ns(std::int64_t unix_ns);

}  // namespace flowsieve
