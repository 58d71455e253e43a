// country_table.cpp: CountryTable::build (ranges -> prefixes -> LPM) and the format-sniffing
// loader. Control plane (TBB inside the build); the built table is read-only on workers.
#include "tables/country_table.hpp"

#include <strings.h>
#include <tbb/parallel_invoke.h>

#include "tables/country_loaders.hpp"
#include "tables/interval_paint.hpp"
#include "tables/text_file.hpp"
#include "tables/uint128.hpp"

namespace flowsieve {

namespace detail {

std::size_t cover_prefix_count(const CountryRange& r) {
    if (r.first.is_v4()) return detail::cover_prefix_count<std::uint32_t>(r.first.v4, r.last.v4);
    return detail::cover_prefix_count<u128>(to_u128(r.first.v6), to_u128(r.last.v6));
}

}  // namespace detail

namespace {

// Resolves overlaps as the header promises ("a later range overrides an earlier one": priority =
// input position), independent of prefix lengths. The painted pieces are disjoint, so their
// prefixes never overlap and the LPM is exactly these pieces: they are installed directly rather
// than decomposed into ~1M prefix entries and painted a second time (same table, a fraction of
// the memory traffic); the prefix count is that of the decomposition.
template <class K>
std::vector<detail::Segment<K>> paint_ranges(const std::vector<CountryRange>& ranges, Family family,
                                             std::size_t& prefixes) {
    std::vector<detail::PaintItem<K>> items;
    items.reserve(ranges.size());
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        const CountryRange& r = ranges[i];
        if (r.first.family != family || r.last.family != family || r.last < r.first) continue;
        items.push_back(detail::PaintItem<K>{detail::key_of<K>(r.first), detail::key_of<K>(r.last), i, r.cc});
    }
    auto segs = detail::paint_intervals(items);
    std::erase_if(segs, [](const detail::Segment<K>& s) { return s.value == no_country; });
    prefixes = 0;
    for (const auto& s : segs) prefixes += detail::cover_prefix_count<K>(s.first, s.last);
    return segs;
}

}  // namespace

CountryTable CountryTable::build(const std::vector<CountryRange>& ranges) {
    CountryTable t;
    PrefixTable& lpm = t.lpm_;
    tbb::parallel_invoke(
        [&] { lpm.install(paint_ranges<std::uint32_t>(ranges, Family::v4, lpm.prefixes_v4_)); },
        [&] { lpm.install(paint_ranges<detail::u128>(ranges, Family::v6, lpm.prefixes_v6_)); });
    return t;
}

Result<std::vector<CountryRange>> load_country_file(const std::string& path, CountryTableInfo* info) {
    auto file = InputFile::open(path);
    if (!file) return file.error();
    const std::string_view text = detail::without_bom(file->text());  // before the format is told
    // By its metadata marker, or by its name: a truncated download has lost the marker, and libmaxminddb
    // then says so instead of the CSV reader calling its first bytes a bad line.
    const bool named_mmdb = path.size() >= 5 && strcasecmp(path.c_str() + path.size() - 5, ".mmdb") == 0;
    if (named_mmdb || detail::looks_like_mmdb(text)) return detail::parse_mmdb(path, text, info);
    LineCursor cur(text);
    std::string_view line;
    std::size_t no = 0;
    while (cur.next(line, no)) {
        if (detail::is_blank_or_comment(line)) continue;
        if (line.find('|') != std::string_view::npos) return detail::parse_rir_stats(path, text, info);
        break;
    }
    return detail::parse_range_csv(path, text, info);
}

}  // namespace flowsieve
