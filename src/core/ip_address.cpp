// ip_address.cpp: text and byte conversions for IpAddress (control plane and tests).
#include "core/ip_address.hpp"

#include <arpa/inet.h>

namespace flowsieve {

IpAddress IpAddress::from_v4_bytes(const std::uint8_t* p) {
    return from_v4((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3]);
}

IpAddress IpAddress::from_v6_bytes(const std::uint8_t* p) {
    U128 v;
    for (int i = 0; i < 8; ++i) v.hi = (v.hi << 8) | p[i];
    for (int i = 8; i < 16; ++i) v.lo = (v.lo << 8) | p[i];
    return from_v6(v);
}

std::optional<IpAddress> parse_ip(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN];
    text.copy(buf, text.size());
    buf[text.size()] = '\0';
    std::uint8_t bytes[16];
    if (inet_pton(AF_INET, buf, bytes) == 1) return IpAddress::from_v4_bytes(bytes);
    if (inet_pton(AF_INET6, buf, bytes) == 1) return IpAddress::from_v6_bytes(bytes);
    return std::nullopt;
}

std::string to_string(const IpAddress& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    std::uint8_t bytes[16];
    if (a.is_v4()) {
        for (int i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(a.v4 >> (24 - 8 * i));
        inet_ntop(AF_INET, bytes, buf, sizeof buf);
    } else if (a.is_v6()) {
        for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(a.v6.hi >> (56 - 8 * i));
        for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<std::uint8_t>(a.v6.lo >> (56 - 8 * i));
        inet_ntop(AF_INET6, bytes, buf, sizeof buf);
    } else {
        return "-";
    }
    return buf;
}

}  // namespace flowsieve
