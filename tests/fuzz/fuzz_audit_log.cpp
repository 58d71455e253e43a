// fuzz_audit_log.cpp: libFuzzer harness for the audit-log readers: the chain verifier (no keys:
// the hash chain and entry shapes), the report built from the whole text as if it verified (so
// mutated entries reach the report's own parsing, which the chain would otherwise stop), and the
// three report formats. Errors are fine; crashes are not. A key escaped past ASCII once crashed
// all of them (an empty optional dereferenced).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "oversight/audit_report.hpp"
#include "oversight/audit_verifier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowsieve;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const AuditVerdict v = verify_audit_log(text, {});
    FUZZ_CHECK(!v.message.empty());
    (void)reportable_part(text, v);
    auto report = build_audit_report(text, ReportPeriod{});
    if (!report) return 0;
    const ReportSource src{"fuzz.log", v.message};
    // No address ever appears in a report: the formats are built from counts and identifiers.
    for (const std::string& out : {format_report_table(*report, src), format_report_json(*report, src),
                                   format_report_csv(*report, src)})
        FUZZ_CHECK(!out.empty());
    return 0;
}
