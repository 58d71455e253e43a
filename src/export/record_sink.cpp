// record_sink.cpp: checks shared by every record sink. Exporter thread.
#include "export/record_sink.hpp"

namespace flowsieve {

Status check_record(const HeaderRecord& r, const std::string& where) {
    if (r.header_len > HeaderRecord::max_header_bytes)
        return error_at(where, 0,
                        "record refused: header_len " + std::to_string(r.header_len) + " > max " +
                            std::to_string(HeaderRecord::max_header_bytes));
    if (r.header_len > r.wire_len)
        return error_at(where, 0,
                        "record refused: header_len " + std::to_string(r.header_len) + " > wire_len " +
                            std::to_string(r.wire_len));
    return Ok{};
}

}  // namespace flowsieve
