// record_comment.hpp: the per-packet comment the exporter attaches to emitted records (pcapng
// opt_comment), naming why the packet was emitted. Built on the exporter thread.
#pragma once

#include <string>
#include <string_view>

namespace flowsieve {

// Names already resolved from the snapshot by the exporter (the record itself holds indices).
// Default-initialised so callers may leave out the indicator in a designated initializer.
struct RecordCommentFields {
    std::string_view category = {};       // e.g. "threat-linked" (name_of(Category))
    std::string_view authorisation = {};  // authorisation id, e.g. "A-2026-001"
    std::string_view rule = {};           // rule id, e.g. "r3"
    std::string_view indicator = {};      // indicator text, e.g. "1.2.3.4"; empty when none matched
    std::string_view src_cc = {};         // country text of the source, e.g. "CN" ("--" when unknown)
    std::string_view dst_cc = {};         // country text of the destination
    bool headers_cut = false;             // the record holds the first 192 bytes of longer headers
};

// Returns space-separated key=value pairs in a fixed order:
//   "category=threat-linked auth=A-2026-001 rule=r3 indicator=1.2.3.4 src_cc=CN dst_cc=JP"
// `indicator=` is left out when no indicator matched; ` headers_cut=yes` follows dst_cc when the
// headers were longer than a record holds (HeaderRecord::max_header_bytes), and is left out
// otherwise. So that a reader can always split on ' '
// and then on the first '=', and two different values never read alike, every value byte that is
// not printable ASCII (0x21..0x7e), or is '=' or '%', is written %XX (upper-case hex), except the
// bytes of non-ASCII characters that show as themselves in a value that is UTF-8 text (a Japanese
// authorisation id stays readable; C1 controls, Unicode blanks and invisible format characters such
// as bidirectional overrides are escaped); an empty value (other than the indicator) is written as
// "-", and a value "-" as %2D.
std::string format_record_comment(const RecordCommentFields& f);
// The same into `out` (cleared first): the exporter reuses one buffer, no allocation per record.
void format_record_comment(const RecordCommentFields& f, std::string& out);

// The value of `key` in a comment of that form ("auth" -> "A-2026-001"); empty when absent.
std::string_view record_comment_value(std::string_view comment, std::string_view key);
// A value as it was before it was written into a comment: %XX decoded, "-" empty.
std::string record_comment_text(std::string_view value);

}  // namespace flowsieve
