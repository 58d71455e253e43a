// output_label.cpp: the retention label's text form. Control plane.
#include "export/output_label.hpp"

#include "core/time_text.hpp"

namespace flowsieve {

OutputLabel make_output_label(std::int64_t written_ns, std::uint32_t retention_days) {
    return {written_ns, written_ns + static_cast<std::int64_t>(retention_days) * ns_per_day};
}

std::string format_output_label(const OutputLabel& l) {
    return std::string(output_label_tag) + " written=" + format_time(l.written_ns) + " expires=" + format_time(l.expires_ns);
}

std::optional<OutputLabel> parse_output_label(std::string_view text) {
    const std::string head = std::string(output_label_tag) + " written=";
    if (text.substr(0, head.size()) != head) return std::nullopt;
    text.remove_prefix(head.size());
    const auto sp = text.find(" expires=");
    if (sp == std::string_view::npos) return std::nullopt;
    auto written = parse_time(text.substr(0, sp));
    auto expires = parse_time(text.substr(sp + 9));
    if (!written || !expires) return std::nullopt;
    return OutputLabel{*written, *expires};
}

}  // namespace flowsieve
