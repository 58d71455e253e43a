// compact4.hpp: the entry encoding and the branch-free search of PrefixTable's compact IPv4 form
// (prefix_table.hpp, Compact4). Included by prefix_table.cpp, the table tests and the country
// micro benchmark only.
//
// Every lookup takes the same path, whatever the table holds there: the /16's directory entry,
// a /24 entry when the /16 is busy (a block), then one 64-byte line of 32 interval starts compared
// with the key all at once (SIMD) and one id. Branches on the entry kind or a binary search's
// length would be mispredicted on every other key of a real traffic mix; selects are not.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "tables/prefix_table.hpp"

namespace flowsieve::detail {

// Directory (/16) and block (/24) entries:
//   bits 0..24   offset of the slot's first interval in starts/ids (16-bit units; lines go in
//                pairs, starts then ids, so an offset's low 5 bits are its place in the line
//                and bit 5 is 0; a chunk never crosses a line: its starts are compared at once)
//   bits 25..29  n: the chunk's interval count, 1..31 (a single-value slot is a chunk of one
//                interval: its id's slot in a shared pool)
//   bit 30       table: ids[offset + (key & 255)] holds the /24's 256 ids (a /24 with more than
//                31 intervals; they run on over the next pairs, reserved whole). Its entry is a
//                chunk of one interval starting at 0, so the search finds slot 0 and the key's
//                low byte is added to it
//   bit 31       block (directory entries only): bits 0..30 are the distance from the /16's own
//                entry to the first of its block's 256 /24 entries (blocks follow the directory)
inline constexpr std::uint32_t c4_offset_mask = (1u << 25) - 1;
inline constexpr int c4_count_shift = 25;
inline constexpr std::uint32_t c4_table = 1u << 30;
inline constexpr std::uint32_t c4_block = 1u << 31;
inline constexpr std::size_t c4_dir_size = std::size_t{1} << 16;
inline constexpr std::uint32_t c4_line = 32;  // starts per 64-byte line
inline constexpr std::uint32_t c4_pair = 2 * c4_line;  // a line of starts and the line of their ids
// A /16 with more intervals than this gets a block of /24 entries, a /24 a table of 256 ids.
// One less than a line holds: a chunk's end bit (bit n) then fits 32 bits.
inline constexpr std::uint32_t c4_chunk_max = c4_line - 1;

// Starts are stored with the top bit flipped so that a signed 16-bit compare orders them as
// unsigned (SSE2 has only the signed one).
inline constexpr std::uint16_t c4_bias(std::uint32_t low16) noexcept {
    return static_cast<std::uint16_t>((low16 ^ 0x8000u) & 0xffffu);
}

// Bit i set where line[i] > key (both biased), over the line's 32 starts.
inline std::uint32_t c4_greater_mask(const std::uint16_t* line, __m128i key) noexcept {
    const auto* v = reinterpret_cast<const __m128i*>(line);
    const __m128i g0 = _mm_cmpgt_epi16(_mm_load_si128(v + 0), key);
    const __m128i g1 = _mm_cmpgt_epi16(_mm_load_si128(v + 1), key);
    const __m128i g2 = _mm_cmpgt_epi16(_mm_load_si128(v + 2), key);
    const __m128i g3 = _mm_cmpgt_epi16(_mm_load_si128(v + 3), key);
    const auto lo = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(g0, g1)));
    const auto hi = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(g2, g3)));
    return lo | hi << 16;
}

inline __m128i c4_key(std::uint32_t key) noexcept {
    return _mm_set1_epi16(static_cast<short>(c4_bias(key & 0xffffu)));
}

// All ones where e is a table, else 0 (masks, not ?: — the compiler turns those into branches).
inline std::uint32_t c4_table_mask(std::uint32_t e) noexcept { return 0u - ((e >> 30) & 1u); }

// The slot in ids of key's interval, from its final entry e (a chunk or a table) and the mask of
// the chunk's line. Starts sorted and the chunk's first start <= key: the starts <= key are a
// prefix, so the first greater one (or the chunk's end, bit n) is one past key's interval.
// A table's search gives 0 (its entry is a chunk of one interval starting at 0), so adding the
// key's low byte under the table mask is the whole difference: no select between two slots.
inline std::size_t c4_slot(std::uint32_t e, std::uint32_t key, std::uint32_t greater) noexcept {
    const std::uint32_t off = e & c4_offset_mask;
    const std::uint32_t n = (e >> c4_count_shift) & 31u;
    // 32-bit shifts by counts below 32 (both masked to 5 bits, as C++ requires), which x86 shift
    // instructions mask the same way: the compiler emits no mask of its own.
    const std::uint32_t m = (greater >> (off & (c4_line - 1))) | (1u << n);
    const auto past = static_cast<std::size_t>(__builtin_ctz(m));  // one past key's interval
    return std::size_t{off} + past - 1 + (key & 0xffu & c4_table_mask(e));
}

inline const std::uint16_t* c4_line_of(const Compact4Ref& c, std::uint32_t e) noexcept {
    return c.starts + (e & c4_offset_mask & ~(c4_pair - 1));
}

// Where key's final entry is: the /16's directory entry, or the /24 entry of its block, which lies
// the entry's distance further on (blocks follow the directory's 65536 entries in the same array).
// The distance is masked off for a directory entry that is not a block: no branch.
inline const std::uint32_t* c4_entry(const Compact4Ref& c, std::uint32_t key) noexcept {
    const std::uint32_t hi = key >> 16, d = c.dir[hi];
    const auto block = static_cast<std::uint32_t>(static_cast<std::int32_t>(d) >> 31);
    return c.dir + hi + ((d + ((key >> 8) & 0xffu)) & block & ~c4_block);
}

inline std::uint32_t c4_find(const Compact4Ref& c, std::uint32_t key) noexcept {
    const std::uint32_t e = *c4_entry(c, key);
    const std::uint16_t id = c.ids[c4_slot(e, key, c4_greater_mask(c4_line_of(c, e), c4_key(key)))];
    return c.values ? c.values[id] : id;
}

// The line compare of c4_find_bulk, per instruction set. AVX2 compares the line as two vectors
// instead of four (9 instructions instead of 18 per key: the bulk loop is bound by instructions,
// not by memory, while the table stays in cache).
struct C4CompareSse2 {
    static std::uint32_t greater(const std::uint16_t* line, std::uint32_t key) noexcept {
        return c4_greater_mask(line, c4_key(key));
    }
};
// With BMI2 (every AVX2 CPU but a few VIA ones has it; checked at start-up): shifts by a register
// without moving the count to CL.
#define FLOWSIEVE_C4_AVX2 __attribute__((target("avx2,bmi,bmi2")))
struct C4CompareAvx2 {
    FLOWSIEVE_C4_AVX2 static std::uint32_t greater(const std::uint16_t* line, std::uint32_t key) noexcept {
        const __m256i k = _mm256_set1_epi16(static_cast<short>(c4_bias(key & 0xffffu)));
        const auto* v = reinterpret_cast<const __m256i*>(line);
        const __m256i packed =
            _mm256_packs_epi16(_mm256_cmpgt_epi16(_mm256_load_si256(v), k), _mm256_cmpgt_epi16(_mm256_load_si256(v + 1), k));
        // packs works within 128-bit halves (starts 0-7, 16-23 | 8-15, 24-31): quadwords 1 and 2 swap.
        return static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_permute4x64_epi64(packed, 0xD8)));
    }
};

// Bulk: stage by stage over a group of keys, each stage prefetching what the next one reads
// (directory entries, then block entries, then the chunk lines), so the group's cache misses
// overlap instead of queueing. Direct: the ids are the values (Compact4Ref::values null). The
// loops are unrolled: with the table in cache the lookup is bound by instructions, and loop
// control was an eighth of them (callgrind, world table: 88 -> 71 instructions per key with the
// distance encoding of c4_entry).
template <bool Direct, class Compare>
__attribute__((always_inline)) inline void c4_find_bulk(const Compact4Ref& c, const std::uint32_t* a, std::uint32_t* out,
                                                       std::size_t n) noexcept {
    constexpr std::size_t group = 32;
    const std::uint32_t* where[group];
    std::uint32_t e[group];
    for (std::size_t g = 0; g < n; g += group) {
        const std::size_t m = n - g < group ? n - g : group;
        const std::uint32_t* k = a + g;
#pragma GCC unroll 4
        for (std::size_t i = 0; i < m; ++i) __builtin_prefetch(c.dir + (k[i] >> 16));
#pragma GCC unroll 4
        for (std::size_t i = 0; i < m; ++i) {
            where[i] = c4_entry(c, k[i]);
            __builtin_prefetch(where[i]);
        }
#pragma GCC unroll 4
        for (std::size_t i = 0; i < m; ++i) {
            e[i] = *where[i];
            // Not the ids: a chunk's are the second line of the 128-byte pair, which comes with the
            // starts (adjacent-line prefetch); a prefetch of them measured slower (RESULTS Run 11).
            // A dense /24's table may put its id up to four pairs further on: those are rare.
            __builtin_prefetch(c4_line_of(c, e[i]));
        }
#pragma GCC unroll 4
        for (std::size_t i = 0; i < m; ++i) {
            const std::uint16_t id = c.ids[c4_slot(e[i], k[i], Compare::greater(c4_line_of(c, e[i]), k[i]))];
            out[g + i] = Direct ? id : c.values[id];
        }
    }
}

template <bool Direct>
inline void c4_find_bulk_sse2(const Compact4Ref& c, const std::uint32_t* a, std::uint32_t* out, std::size_t n) noexcept {
    c4_find_bulk<Direct, C4CompareSse2>(c, a, out, n);
}
// flatten: the compare is inlined here, where AVX2 is allowed, not into the generic loop.
template <bool Direct>
FLOWSIEVE_C4_AVX2 __attribute__((flatten)) inline void c4_find_bulk_avx2(const Compact4Ref& c, const std::uint32_t* a,
                                                                        std::uint32_t* out, std::size_t n) noexcept {
    c4_find_bulk<Direct, C4CompareAvx2>(c, a, out, n);
}
#undef FLOWSIEVE_C4_AVX2

// AVX-512 (where the CPU has it): 16 keys to a vector; the directory and block entries and the
// ids are gathered and the entries decoded lane-wise, only the line compares go key by key. The
// same stages as c4_find_bulk over a group of 32 keys, without its prefetch passes: the gathers
// load a vector's entries together anyway (measured a little faster without, RESULTS Run 13).
// Needs c4_chunk_max < 32 (a chunk's end bit fits 32-bit lanes) and a spare id slot past the last
// (a 16-bit id is gathered as 32 bits).
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12, in avx512fintrin.h itself
#endif
#define FLOWSIEVE_C4_AVX512 __attribute__((target("avx512f,avx512bw,avx512cd")))
inline constexpr std::size_t c4_lanes = 16, c4_group = 32;
// One group of m keys (1..32); Full: m is 32 (the loops unroll, no lane is masked off).
template <bool Full, bool Direct>
FLOWSIEVE_C4_AVX512 __attribute__((always_inline)) inline void c4_group_avx512(const Compact4Ref& c,
                                                                              const std::uint32_t* a,
                                                                              std::uint32_t* out,
                                                                              std::size_t count) noexcept {
    constexpr std::size_t lanes = c4_lanes, group = c4_group;
    const std::size_t m = Full ? group : count;
    const std::size_t vectors = Full ? group / lanes : (m + lanes - 1) / lanes;
    const __m512i zero = _mm512_setzero_si512();
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i byte = _mm512_set1_epi32(0xff);
    const __m512i offset_mask = _mm512_set1_epi32(static_cast<int>(c4_offset_mask));
    const __m512i table_bit = _mm512_set1_epi32(static_cast<int>(c4_table));
    alignas(64) std::uint32_t line[group], biased[group], greater[group];
    __m512i k[group / lanes], where[group / lanes], e[group / lanes];
    __mmask16 live[group / lanes];
    // The directory entries, and where each key's final entry is.
    for (std::size_t v = 0; v < vectors; ++v) {
        const std::size_t left = m - v * lanes;
        live[v] = Full || left >= lanes ? __mmask16{0xffff} : static_cast<__mmask16>((1u << left) - 1);
        k[v] = _mm512_maskz_loadu_epi32(live[v], a + v * lanes);
        const __m512i hi = _mm512_srli_epi32(k[v], 16);
        const __m512i d = _mm512_mask_i32gather_epi32(zero, live[v], hi, c.dir, 4);
        const __m512i in_block =
            _mm512_add_epi32(_mm512_add_epi32(hi, _mm512_andnot_si512(_mm512_set1_epi32(static_cast<int>(c4_block)), d)),
                             _mm512_and_si512(_mm512_srli_epi32(k[v], 8), byte));
        where[v] = _mm512_mask_mov_epi32(hi, _mm512_cmplt_epi32_mask(d, zero), in_block);
    }
    // The final entries, and the line of starts each names.
    for (std::size_t v = 0; v < vectors; ++v) {
        e[v] = _mm512_mask_i32gather_epi32(zero, live[v], where[v], c.dir, 4);
        _mm512_store_si512(line + v * lanes,
                           _mm512_andnot_si512(_mm512_set1_epi32(c4_pair - 1), _mm512_and_si512(e[v], offset_mask)));
        // The keys' low halves biased as the starts are (c4_bias), sixteen at once: each compare
        // below then broadcasts its key straight from memory.
        _mm512_store_si512(biased + v * lanes, _mm512_xor_si512(k[v], _mm512_set1_epi32(0x8000)));
    }
    // The compares, key by key (no prefetch pass before them: they load the lines independently
    // anyway, and the ids share the lines' 128-byte pairs; measured no faster with one).
    for (std::size_t i = 0; i < m; ++i)
        greater[i] = _mm512_cmpgt_epi16_mask(_mm512_load_si512(c.starts + line[i]),
                                             _mm512_set1_epi16(static_cast<short>(biased[i])));
    if (!Full)
        for (std::size_t i = m; i < vectors * lanes; ++i) greater[i] = 0;
    // The slot of each key's id as in c4_slot, then the ids (and values).
    for (std::size_t v = 0; v < vectors; ++v) {
        const __m512i off = _mm512_and_si512(e[v], offset_mask);
        const __m512i n = _mm512_and_si512(_mm512_srli_epi32(e[v], c4_count_shift), _mm512_set1_epi32(31));
        const __m512i bits = _mm512_or_si512(
            _mm512_srlv_epi32(_mm512_load_si512(greater + v * lanes), _mm512_and_si512(off, _mm512_set1_epi32(c4_line - 1))),
            _mm512_sllv_epi32(one, n));
        const __m512i lowest = _mm512_and_si512(bits, _mm512_sub_epi32(zero, bits));
        const __m512i idx = _mm512_sub_epi32(_mm512_set1_epi32(30), _mm512_lzcnt_epi32(lowest));  // ctz - 1
        const __mmask16 table = _mm512_test_epi32_mask(e[v], table_bit);
        const __m512i slot = _mm512_mask_add_epi32(_mm512_add_epi32(off, idx), table, off, _mm512_and_si512(k[v], byte));
        const __m512i id =
            _mm512_and_si512(_mm512_mask_i32gather_epi32(zero, live[v], slot, c.ids, 2), _mm512_set1_epi32(0xffff));
        _mm512_mask_storeu_epi32(out + v * lanes, live[v],
                                 Direct ? id : _mm512_mask_i32gather_epi32(zero, live[v], id, c.values, 4));
    }
}

template <bool Direct>
FLOWSIEVE_C4_AVX512 inline void c4_find_bulk_avx512(const Compact4Ref& c, const std::uint32_t* a, std::uint32_t* out,
                                                    std::size_t n) noexcept {
    std::size_t g = 0;
    for (; g + c4_group <= n; g += c4_group) c4_group_avx512<true, Direct>(c, a + g, out + g, c4_group);
    if (g < n) c4_group_avx512<false, Direct>(c, a + g, out + g, n - g);
}
#undef FLOWSIEVE_C4_AVX512
#pragma GCC diagnostic pop

// Which bulk loop lookup_v4_bulk takes: the best this CPU has, chosen at startup (the build's
// baseline is SSE2); the tests switch it to check that every path the CPU can run answers alike.
enum class C4Path : std::uint8_t { sse2, avx2, avx512 };
extern C4Path c4_path;

inline bool c4_supported(C4Path p) noexcept {
    __builtin_cpu_init();
    switch (p) {
        case C4Path::sse2: return true;
        case C4Path::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
        case C4Path::avx512:  // and the AVX2 path's needs: it takes the calls of fewer than 16 keys
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512cd") && c4_supported(C4Path::avx2);
    }
    return false;
}

inline C4Path c4_best_path() noexcept {
    return c4_supported(C4Path::avx512) ? C4Path::avx512 : c4_supported(C4Path::avx2) ? C4Path::avx2 : C4Path::sse2;
}

}  // namespace flowsieve::detail
