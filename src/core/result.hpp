// result.hpp: Result<T>, a value or an Error that says where (`file:line: key: what`).
// Control plane only: the data path never builds strings.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace flowsieve {

struct Error {
    std::string message;  // already formatted as `file:line: what is wrong` where a place is known
};

// `text` fit for a one-line message: control bytes (a NUL cut messages short where they were
// printed) written as \xNN, and anything past `max` bytes (a value of 100,000 digits quoted in
// full) left out, saying how much.
inline std::string printable_text(std::string_view text, std::size_t max = 2048) {
    std::string out;
    std::size_t n = std::min(text.size(), max);
    while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 character
    out.reserve(n + 32);
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != 0x7f) {
            out += static_cast<char>(c);
            continue;
        }
        static constexpr char hex[] = "0123456789abcdef";
        out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
    }
    if (n < text.size()) out += "... (" + std::to_string(text.size() - n) + " bytes more)";
    return out;
}

// Formats the project's error convention: "file:line: what" (line 0 means "the file as a whole").
// `what` may quote the input, so it is made printable.
inline Error error_at(const std::string& file, std::size_t line, const std::string& what) {
    if (line == 0) return Error{file + ": " + printable_text(what)};
    return Error{file + ":" + std::to_string(line) + ": " + printable_text(what)};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// For operations that return nothing on success.
struct Ok {};
using Status = Result<Ok>;

}  // namespace flowsieve
