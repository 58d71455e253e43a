// record_sink.hpp: the interface of a destination for emitted header records (file, port, collector).
// Run by the exporter thread only (control-plane side); never called from a worker lcore.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "export/header_record.hpp"

namespace flowsieve {

struct CommitReport;  // export/output_keeper.hpp

// Life cycle: open() once, write() any number of times, close() to make the output final.
// A sink destroyed without close() must leave nothing final behind (for files: no file at all).
// No method lets an exception escape; failures come back as Status with `where: what` messages.
class RecordSink {
public:
    RecordSink() = default;
    RecordSink(const RecordSink&) = delete;
    RecordSink& operator=(const RecordSink&) = delete;
    virtual ~RecordSink() = default;

    virtual Status open() = 0;
    // Writes one record. `comment` is free text composed by the exporter (see record_comment.hpp),
    // valid only during the call (a sink keeps a copy if anything); sinks that cannot carry it ignore it. A record that breaks its own invariants is refused
    // (error, nothing written) and the sink stays usable; an I/O failure ends the sink.
    virtual Status write(const HeaderRecord& r, std::string_view comment) = 0;
    // Whether write() would read the comment of r: the exporter composes one only then (at line
    // rate composing every record's comment took a seventh of its thread, perf). Others get "".
    virtual bool needs_comment(const HeaderRecord&) const { return true; }
    virtual Status close() = 0;
    // Records accepted by write() since open().
    virtual std::uint64_t written() const = 0;
    // File sinks, after a successful close(): where the file went and what became of an earlier file
    // under its name (AtomicFile::committed()). Other sinks: nullptr.
    virtual const CommitReport* commit_report() const { return nullptr; }
};

// Invariant-1 guard shared by every sink: header_len must fit the record's buffer
// (<= HeaderRecord::max_header_bytes) and not exceed the original length (caplen <= len).
// `where` names the sink in the error message.
Status check_record(const HeaderRecord& r, const std::string& where);

}  // namespace flowsieve
