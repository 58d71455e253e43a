// record_comment.cpp: formats the per-packet comment. Exporter thread.
#include "export/record_comment.hpp"

namespace flowsieve {

namespace {

void append_pair(std::string& out, std::string_view key, std::string_view value) {
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    if (value.empty()) {
        out += '-';
        return;
    }
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x21 || u > 0x7e || c == '=') ? '_' : c;
    }
}

}  // namespace

std::string format_record_comment(const RecordCommentFields& f) {
    std::string out;
    out.reserve(96);
    append_pair(out, "category", f.category);
    append_pair(out, "auth", f.authorisation);
    append_pair(out, "rule", f.rule);
    if (!f.indicator.empty()) append_pair(out, "indicator", f.indicator);
    append_pair(out, "src_cc", f.src_cc);
    append_pair(out, "dst_cc", f.dst_cc);
    return out;
}

std::string_view record_comment_value(std::string_view comment, std::string_view key) {
    std::size_t start = 0;
    while (start < comment.size()) {
        std::size_t end = comment.find(' ', start);
        if (end == std::string_view::npos) end = comment.size();
        const std::string_view pair = comment.substr(start, end - start);
        if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=')
            return pair.substr(key.size() + 1);
        start = end + 1;
    }
    return {};
}

}  // namespace flowsieve
