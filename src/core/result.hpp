// result.hpp: Result<T>, a value or an Error that says where (`file:line: key: what`).
// Control plane only: the data path never builds strings.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace flowsieve {

struct Error {
    std::string message;  // already formatted as `file:line: what is wrong` where a place is known
};

// Formats the project's error convention: "file:line: what" (line 0 means "the file as a whole").
inline Error error_at(const std::string& file, std::size_t line, const std::string& what) {
    if (line == 0) return Error{file + ": " + what};
    return Error{file + ":" + std::to_string(line) + ": " + what};
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
