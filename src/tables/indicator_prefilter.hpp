// indicator_prefilter.hpp: a small bitmap in front of IndicatorTable's hashes and CIDR LPM, private
// to IndicatorTable. Most addresses on real traffic match no indicator; the bitmap (2 MiB per
// family, mostly cache-resident) answers "none" for them with one probe, instead of a probe into
// the exact-address hash (tens of MiB: a cache miss) plus a CIDR LPM walk (more misses).
// Exact on the negative side: a clear bit means that no indicator covers the address.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include <sys/mman.h>

#include "core/ip_address.hpp"

namespace flowsieve::indicator_detail {

// IPv4: one bit per /24, indexed directly (a CIDR of /24 or shorter sets its whole /24 range).
// IPv6: one bit per /48, at a hashed position (IPv6 CIDRs of /32../47 set each /48 they hold; any
// shorter one, or too many /48s in all, turns the IPv6 filter off: every IPv6 address passes).
// A family with no bitmap (no indicator of that family, or filter off) passes every address.
class IndicatorPrefilter {
public:
    static constexpr unsigned bits_log2 = 24;  // 2^24 bits = 2 MiB per family
    static constexpr std::size_t v6_max_expansion = std::size_t{1} << 24;

    // Control plane. `v4_ranges`: inclusive address ranges covered by IPv4 indicators; `v6`:
    // (network, length) of IPv6 indicators. Either may be empty.
    void build(std::vector<std::pair<std::uint32_t, std::uint32_t>> v4_ranges,
               const std::vector<std::pair<U128, unsigned>>& v6) {
        v4_ = Bits{};
        v6_ = Bits{};
        if (!v4_ranges.empty()) {
            v4_ = Bits(std::size_t{1} << bits_log2);
            // Ranges inside one /24 (hosts, long CIDRs: nearly all) set their bit at once; the
            // wider ones are merged first, so that nested or repeated CIDRs cost nothing extra.
            std::size_t wide = 0;
            for (const auto& r : v4_ranges) {
                if (r.first >> 8 == r.second >> 8) v4_.set(r.first >> 8);
                else v4_ranges[wide++] = {r.first >> 8, r.second >> 8};
            }
            v4_ranges.resize(wide);
            std::sort(v4_ranges.begin(), v4_ranges.end());
        }
        if (!v4_ranges.empty()) {
            std::uint32_t lo = v4_ranges[0].first, hi = v4_ranges[0].second;
            for (std::size_t i = 1; i <= v4_ranges.size(); ++i) {
                if (i < v4_ranges.size() && v4_ranges[i].first <= hi + 1ull) {
                    hi = std::max(hi, v4_ranges[i].second);
                    continue;
                }
                v4_.set_range(lo, hi);
                if (i < v4_ranges.size()) lo = v4_ranges[i].first, hi = v4_ranges[i].second;
            }
        }
        std::size_t expansion = 0;
        for (const auto& [a, len] : v6) {
            if (len < 32) return;  // too wide to expand into /48s: no IPv6 filter
            expansion += len >= 48 ? 1 : std::size_t{1} << (48 - len);
            if (expansion > v6_max_expansion) return;
        }
        if (v6.empty()) return;
        v6_ = Bits(std::size_t{1} << bits_log2);
        for (const auto& [a, len] : v6) {
            const std::uint64_t first = a.hi >> 16;  // the /48 number
            const std::uint64_t count = len >= 48 ? 1 : std::uint64_t{1} << (48 - len);
            for (std::uint64_t k = 0; k < count; ++k) v6_.set(slot6(first + k));
        }
    }

    // Data path. False: no indicator covers the address.
    bool may_match_v4(std::uint32_t a) const noexcept { return v4_.empty() || v4_.test(a >> 8); }
    bool may_match_v6(const U128& a) const noexcept { return v6_.empty() || v6_.test(slot6(a.hi >> 16)); }
    void prefetch_v4(std::uint32_t a) const noexcept { v4_.prefetch(a >> 8); }
    void prefetch_v6(const U128& a) const noexcept { v6_.prefetch(slot6(a.hi >> 16)); }

    std::size_t memory_bytes() const noexcept { return v4_.bytes() + v6_.bytes(); }

private:
    static std::uint32_t slot6(std::uint64_t net48) noexcept {
        return static_cast<std::uint32_t>((net48 * 0x9E3779B97F4A7C15ull) >> (64 - bits_log2));
    }

    // A zeroed bit array; 2 MiB and up sit on a transparent huge page where the kernel allows, so
    // random probes do not miss the TLB.
    class Bits {
    public:
        Bits() = default;
        explicit Bits(std::size_t n_bits) {
            const std::size_t words = (n_bits + 63) / 64;
            bytes_ = (words * 8 + huge_page - 1) / huge_page * huge_page;
            p_.reset(static_cast<std::uint64_t*>(std::aligned_alloc(huge_page, bytes_)));
            if (!p_) throw std::bad_alloc();
            madvise(p_.get(), bytes_, MADV_HUGEPAGE);  // advice only: failure is harmless
            std::memset(p_.get(), 0, bytes_);
        }
        bool empty() const noexcept { return !p_; }
        std::size_t bytes() const noexcept { return bytes_; }
        void set(std::uint32_t i) noexcept { p_.get()[i >> 6] |= std::uint64_t{1} << (i & 63); }
        void set_range(std::uint32_t lo, std::uint32_t hi) noexcept {  // inclusive
            std::uint64_t* w = p_.get();
            for (std::uint32_t i = lo; i <= hi && (i & 63) != 0; ++i) {
                set(i);
                if (i == hi) return;
            }
            lo = (lo + 63) & ~63u;
            if (lo > hi) return;
            for (; lo + 63 <= hi; lo += 64) {
                w[lo >> 6] = ~std::uint64_t{0};
                if (lo + 63 == hi) return;
            }
            for (std::uint32_t i = lo; i <= hi; ++i) set(i);
        }
        bool test(std::uint32_t i) const noexcept { return (p_.get()[i >> 6] >> (i & 63)) & 1; }
        void prefetch(std::uint32_t i) const noexcept {
            if (p_) __builtin_prefetch(p_.get() + (i >> 6));
        }

    private:
        static constexpr std::size_t huge_page = std::size_t{2} << 20;
        struct Free {
            void operator()(std::uint64_t* p) const noexcept { std::free(p); }
        };
        std::unique_ptr<std::uint64_t, Free> p_;
        std::size_t bytes_ = 0;
    };

    Bits v4_, v6_;
};

}  // namespace flowsieve::indicator_detail
