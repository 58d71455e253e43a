// indicator_exact_hash.hpp: open-addressing hash of exact addresses (/32 or /128) -> (set mask,
// indicator), private to IndicatorTable. Built once in the control plane; probed read-only by workers.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include <sys/mman.h>

#include "core/ip_address.hpp"

namespace flowsieve::indicator_detail {

// 64-bit mixes whose *top* bits are well spread; the table takes its index from the top bits
// (Fibonacci hashing), so neighbouring addresses of one /24 land far apart.
inline std::uint64_t exact_hash_bits(std::uint32_t k) noexcept {
    return std::uint64_t{k} * 0x9E3779B97F4A7C15ull;
}
inline std::uint64_t exact_hash_bits(const U128& k) noexcept {
    std::uint64_t h = k.hi * 0x9E3779B97F4A7C15ull + k.lo;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 29;
    return h * 0x9E3779B97F4A7C15ull;
}

template <class Key>
struct ExactSlot {
    Key key{};
    std::uint32_t mask = 0;       // 0 marks an empty slot: every stored entry is in at least one set
    std::uint32_t indicator = 0;
};

// Linear probing over one flat array: a probe sequence stays in one or two cache lines, and the
// load factor is kept at or under 1/2 so that misses (the common case on real traffic) end fast.
template <class Key>
class ExactHash {
public:
    using Slot = ExactSlot<Key>;

    // Sizes the table for up to n entries; all slots empty.
    void reset(std::size_t n) {
        const std::size_t cap = std::bit_ceil(std::max<std::size_t>(16, 2 * n));
        bits_ = static_cast<unsigned>(std::countr_zero(cap));
        slots_ = SlotArray(cap);
        size_ = 0;
    }

    // Home slot of a key: the top bits of its hash.
    std::size_t home(const Key& k) const noexcept {
        return static_cast<std::size_t>(exact_hash_bits(k) >> (64 - bits_));
    }

    // Control plane only; the table must have room. A key already present keeps its indicator
    // (the first one inserted) and gains `mask`; the return says whether it was (false: inserted).
    bool insert_or_merge(const Key& k, std::uint32_t mask, std::uint32_t indicator) noexcept {
        const std::size_t m = slots_.size() - 1;
        for (std::size_t i = home(k);; i = (i + 1) & m) {
            Slot& s = slots_[i];
            if (s.mask == 0) {
                s = Slot{k, mask, indicator};
                ++size_;
                return false;
            }
            if (s.key == k) {
                s.mask |= mask;
                return true;
            }
        }
    }

    // Control plane: the slot array, for passes over every stored entry (empty slots have mask 0).
    std::size_t capacity() const noexcept { return slots_.size(); }
    Slot& slot(std::size_t i) noexcept { return slots_[i]; }

    // Data path: pulls a key's home slot towards the cache ahead of find().
    void prefetch(const Key& k) const noexcept {
        if (size_ != 0) __builtin_prefetch(slots_.data() + home(k));
    }

    const Slot* find(const Key& k) const noexcept {
        if (size_ == 0) return nullptr;
        const std::size_t m = slots_.size() - 1;
        const Slot* s = slots_.data();
        for (std::size_t i = home(k);; i = (i + 1) & m) {
            if (s[i].mask == 0) return nullptr;
            if (s[i].key == k) return &s[i];
        }
    }

    std::size_t size() const { return size_; }
    std::size_t memory_bytes() const { return slots_.bytes(); }

private:
    // Zeroed slots (all empty). Tables of 2 MiB and more sit on transparent huge pages where the
    // kernel allows (madvise): random probes into tens of MiB then miss the TLB far less, and
    // building faults in a few huge pages instead of thousands of small ones.
    class SlotArray {
    public:
        SlotArray() = default;
        explicit SlotArray(std::size_t n) : n_(n) {
            static_assert(std::is_trivially_copyable_v<Slot>);
            const std::size_t bytes = n * sizeof(Slot);
            if (bytes >= huge_page) {
                bytes_ = (bytes + huge_page - 1) / huge_page * huge_page;
                p_.reset(static_cast<Slot*>(std::aligned_alloc(huge_page, bytes_)));
                if (p_) madvise(p_.get(), bytes_, MADV_HUGEPAGE);  // advice only: failure is harmless
            } else {
                bytes_ = (bytes + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) * alignof(std::max_align_t);
                p_.reset(static_cast<Slot*>(std::aligned_alloc(alignof(std::max_align_t), bytes_)));
            }
            if (!p_) throw std::bad_alloc();
            std::memset(static_cast<void*>(p_.get()), 0, bytes_);
        }
        std::size_t size() const noexcept { return n_; }
        std::size_t bytes() const noexcept { return bytes_; }
        Slot* data() noexcept { return p_.get(); }
        const Slot* data() const noexcept { return p_.get(); }
        Slot& operator[](std::size_t i) noexcept { return p_.get()[i]; }
        const Slot& operator[](std::size_t i) const noexcept { return p_.get()[i]; }

    private:
        static constexpr std::size_t huge_page = std::size_t{2} << 20;
        struct Free {
            void operator()(Slot* p) const noexcept { std::free(p); }
        };
        std::unique_ptr<Slot, Free> p_;
        std::size_t n_ = 0, bytes_ = 0;
    };

    SlotArray slots_;
    unsigned bits_ = 4;
    std::size_t size_ = 0;
};

}  // namespace flowsieve::indicator_detail
