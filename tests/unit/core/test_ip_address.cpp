// Unit tests for core vocabulary: address parsing/printing and the drop-reason table.
#include <gtest/gtest.h>

#include "core/drop_reason.hpp"
#include "core/ip_address.hpp"

using namespace flowsieve;

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
    auto a = parse_ip("192.0.2.1");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->is_v4());
    EXPECT_EQ(a->v4, 0xC0000201u);
    EXPECT_EQ(to_string(*a), "192.0.2.1");
    auto b = parse_ip("2001:db8::1");
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->is_v6());
    EXPECT_EQ(b->v6.hi, 0x20010db800000000ull);
    EXPECT_EQ(b->v6.lo, 1ull);
    EXPECT_EQ(to_string(*b), "2001:db8::1");
}

// The other family's field is zero for every address made from text or bytes: the caches key an
// address by both fields OR-ed together, and comparison reads both.
TEST(IpAddress, TheOtherFamilysFieldIsZero) {
    for (const char* text : {"0.0.0.0", "192.0.2.1", "255.255.255.255", "::", "::1", "::ffff:192.0.2.1",
                             "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
        auto a = parse_ip(text);
        ASSERT_TRUE(a) << text;
        EXPECT_TRUE(a->is_v4() ? a->v6 == U128{} : a->v4 == 0) << text;
    }
    const std::uint8_t bytes[16] = {0x20, 0x01, 0x0d, 0xb8, 0xc0, 0x00, 0x02, 0x01, 1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_TRUE(IpAddress::from_v4_bytes(bytes).v6 == U128{});
    EXPECT_EQ(IpAddress::from_v6_bytes(bytes).v4, 0u);
    EXPECT_TRUE(IpAddress::from_v4(0xC0000201u).v6 == U128{});
    EXPECT_EQ(IpAddress::from_v6(U128{1, 2}).v4, 0u);
}

TEST(IpAddress, RejectsGarbage) {
    EXPECT_FALSE(parse_ip(""));
    EXPECT_FALSE(parse_ip("256.0.0.1"));
    EXPECT_FALSE(parse_ip("1.2.3"));
    EXPECT_FALSE(parse_ip("example.com"));
    EXPECT_FALSE(parse_ip(std::string(100, '1')));
}

TEST(IpAddress, OrdersV4BeforeV6) {
    EXPECT_LT(*parse_ip("255.255.255.255"), *parse_ip("::"));
    EXPECT_LT(*parse_ip("10.0.0.1"), *parse_ip("10.0.0.2"));
}

TEST(DropReason, AnomaliesMapOntoTheirDropReasons) {
    EXPECT_EQ(name_of(drop_reason_of(Anomaly::eth_truncated)), "anomaly_eth_truncated");
    EXPECT_EQ(name_of(drop_reason_of(Anomaly::icmp_truncated)), "anomaly_icmp_truncated");
    EXPECT_EQ(name_of(Anomaly::tcp_truncated), "tcp_truncated");
    EXPECT_EQ(name_of(DropReason::not_ip), "not_ip");
    EXPECT_EQ(name_of(DropReason::ring_full), "ring_full");
    for (auto n : drop_reason_names) EXPECT_FALSE(n.empty());
}
