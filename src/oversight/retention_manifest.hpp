// retention_manifest.hpp: the small manifest written next to every output file
// (`<file>.manifest.json`): its content hash, what produced it (generations, authorisations) and when
// it expires. It is what makes a file a flowsieve output for `flowsieve retention sweep`, and it
// carries the expiry for formats that cannot (classic pcap). Control plane only.
//
// One JSON object on one line:
//   {"format":"flowsieve-output-manifest-1","file":"out.pcapng","output_format":"pcapng",
//    "blake2b":"<hex>","bytes":N,"records":N,"first_packet":T,"last_packet":T,"written":T,"expires":T,
//    "generations":[1,2],"authorisations":["APP-1"],"provenance_complete":true}
// (times RFC 3339 UTC with ns; first/last_packet absent when the file holds no record).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "export/output_label.hpp"
#include "export/provenance_sink.hpp"
#include "oversight/audit_entry.hpp"

namespace flowsieve {

inline constexpr std::string_view manifest_format = "flowsieve-output-manifest-1";
inline constexpr std::string_view manifest_suffix = ".manifest.json";
// A manifest is a few hundred bytes; anything much bigger is not one (and is not read whole).
inline constexpr std::size_t manifest_max_bytes = 1 << 20;

struct OutputManifest {
    std::string file;           // the output file's name, in the manifest's own directory (no '/')
    std::string output_format;  // pcapng | pcap
    std::string blake2b;        // BLAKE2b-256 of the file's bytes, lower-case hex
    std::uint64_t bytes = 0;
    std::uint64_t records = 0;
    std::optional<std::int64_t> first_packet_ns, last_packet_ns;
    OutputLabel label;          // written, expires
    std::vector<std::uint64_t> generations;
    std::vector<std::string> authorisations;
    bool provenance_complete = true;
};

// `<output_path>.manifest.json`.
std::string manifest_path_of(const std::string& output_path);

// The manifest's fields (without the format tag): also the payload of the `output_written` audit
// entry, so the log and the manifest say the same thing.
AuditFields manifest_fields(const OutputManifest& m);
// The manifest file's bytes (one line, newline-terminated).
std::string format_manifest(const OutputManifest& m);
// Parses a manifest's text; `where` (its path) prefixes every error.
Result<OutputManifest> parse_manifest(std::string_view text, const std::string& where);
// Reads `manifest_path`; refuses a manifest whose `file` is not exactly its own name without the
// suffix (a manifest can only ever speak for the file beside it).
Result<OutputManifest> read_manifest(const std::string& manifest_path);

// The output's sink as the engine runs it: the pcapng (with `label` as its section comment) or pcap
// writer, wrapped in a ProvenanceSink whose BLAKE2b-256 digest sees every byte as it is written, so
// the manifest needs no second read of a large file at exit. It never replaces an earlier output at
// `path` (keep_earlier_output); the provenance's `commit` says where the file went and what was kept.
std::unique_ptr<ProvenanceSink> make_output_sink(const std::string& path, std::string_view output_format,
                                                 const std::string& label);

// After the output file is complete: fills in everything the manifest says. The content hash is the
// streamed one (provenance.content_hash) when there is one, else the file is read and hashed.
Result<OutputManifest> describe_output(const std::string& output_path, std::string_view output_format,
                                       const OutputLabel& label, const OutputProvenance& provenance);
// Writes the manifest next to `output_path` atomically (mode 0640, like the output).
Status write_manifest(const std::string& output_path, const OutputManifest& m);

// Keeps an earlier output that a new one is about to take the name of (export/output_keeper.hpp):
// moves the regular file at `path` to archived_name(path, T, n), T its manifest's `written` time (its
// modification time without a readable manifest), n the first that is free, never replacing anything.
// Its manifest moves with it, its `file` rewritten to the new name, so a retention sweep still knows
// the file (the sweep matches the audit log by content hash and expiry, never by name); a manifest
// that does not read is moved unchanged. Returns the archived path; on failure everything stays put.
Result<std::string> keep_earlier_output(const std::string& path);

}  // namespace flowsieve
