// interval_paint.hpp: flattens overlapping, prioritised intervals into sorted disjoint segments
// (the highest priority covering each address wins). Control plane: table builds only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <tbb/parallel_sort.h>

namespace flowsieve::detail {

template <class K>
struct PaintItem {
    K first;
    K last;              // inclusive
    std::uint64_t prio;  // must be unique per item so the result does not depend on sort order
    std::uint32_t value;
};

template <class K>
struct Segment {
    K first;
    K last;  // inclusive
    std::uint32_t value;
};

// Sorts in parallel where the input is big enough to pay for the threads.
template <class It, class Cmp>
void sort_maybe_parallel(It begin, It end, Cmp cmp) {
    if (end - begin >= (1 << 15))
        tbb::parallel_sort(begin, end, cmp);
    else
        std::sort(begin, end, cmp);
}

// Sweep over the items sorted by start, with a max-heap (by priority) of the items covering the
// sweep position; items that ended are removed lazily when they reach the top. O(n log n).
// Returns segments in address order; addresses no item covers are absent; touching segments with
// the same value are merged (so value 0 items survive only as explicit segments of value 0).
template <class K>
std::vector<Segment<K>> paint_intervals(std::vector<PaintItem<K>>& items) {
    std::vector<Segment<K>> out;
    const std::size_t n = items.size();
    if (n == 0) return out;
    out.reserve(n);
    const auto emit = [&out](K first, K last, std::uint32_t value) {
        if (!out.empty() && out.back().value == value && out.back().last + 1 == first)
            out.back().last = last;
        else
            out.push_back(Segment<K>{first, last, value});
    };
    // Common case (registry files, already flattened tables): sorted and disjoint, nothing to paint.
    bool disjoint = true;
    for (std::size_t i = 1; i < n && disjoint; ++i) disjoint = items[i - 1].last < items[i].first;
    if (disjoint) {
        for (const auto& it : items) emit(it.first, it.last, it.value);
        return out;
    }
    const auto by_first = [](const PaintItem<K>& a, const PaintItem<K>& b) { return a.first < b.first; };
    if (!std::is_sorted(items.begin(), items.end(), by_first)) sort_maybe_parallel(items.begin(), items.end(), by_first);

    std::vector<std::uint32_t> heap;
    const auto lower = [&items](std::uint32_t a, std::uint32_t b) { return items[a].prio < items[b].prio; };

    std::size_t i = 0;
    K pos{};
    for (;;) {
        if (heap.empty()) {
            if (i == n) break;
            pos = items[i].first;
        }
        for (; i < n && items[i].first <= pos; ++i) {
            heap.push_back(static_cast<std::uint32_t>(i));
            std::push_heap(heap.begin(), heap.end(), lower);
        }
        while (!heap.empty() && items[heap.front()].last < pos) {
            std::pop_heap(heap.begin(), heap.end(), lower);
            heap.pop_back();
        }
        if (heap.empty()) continue;
        const PaintItem<K>& top = items[heap.front()];
        K seg_last = top.last;
        // items[i] starts after pos (all earlier starts were pushed), so this cannot underflow.
        if (i < n && items[i].first <= seg_last) seg_last = static_cast<K>(items[i].first - 1);
        emit(pos, seg_last, top.value);
        if (seg_last == static_cast<K>(~K{0})) break;
        pos = static_cast<K>(seg_last + 1);
    }
    return out;
}

}  // namespace flowsieve::detail
