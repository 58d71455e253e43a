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
