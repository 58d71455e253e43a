// provenance_sink.hpp: a RecordSink wrapper that remembers what went into the output: how many
// records, their first and last packet time, and which snapshot generations and authorisations
// produced them. The control plane reads it after the exporter finished, for the output's manifest
// and its `output_written` audit entry. write() runs on the exporter thread, never on a worker.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "export/output_keeper.hpp"
#include "export/record_sink.hpp"

namespace flowsieve {

// One (generation, authorisation) pair seen in the output; the id is the one the record's own
// comment names (record_comment.hpp: `auth=`), so the manifest and the per-packet comments agree.
struct ProvenancePair {
    std::uint64_t generation = 0;
    std::uint32_t authorisation = no_index;  // index in that generation's snapshot
    std::string authorisation_id;
};

// What the records accepted by the inner sink came from.
struct OutputProvenance {
    std::uint64_t records = 0;
    std::uint64_t first_ns = 0;  // smallest packet time among them (0 when there is none)
    std::uint64_t last_ns = 0;   // largest packet time
    std::vector<ProvenancePair> pairs;  // in order of first appearance, each once
    bool complete = true;               // false if memory ran out and a pair could not be noted
    std::string content_hash;           // of the file's bytes, when a digest saw them (after close())
    CommitReport commit;                // where close() put the file, what it kept (file sinks; output_keeper.hpp)

    // Sorted, each once.
    std::vector<std::uint64_t> generations() const;
    std::vector<std::string> authorisations() const;
};

// A streaming digest of the output's bytes (fed by the writer's AtomicFile observer); the export
// module has no cryptography of its own, so the caller supplies it (oversight: BLAKE2b-256).
class ByteDigest {
public:
    virtual ~ByteDigest() = default;
    virtual void reset() = 0;
    virtual void update(const std::uint8_t* p, std::size_t n) = 0;
    virtual std::string hex() = 0;  // the digest of everything since reset()
};

class ProvenanceSink final : public RecordSink {
public:
    // `digest`, when given, must be the one the inner writer feeds (observe_bytes).
    explicit ProvenanceSink(std::unique_ptr<RecordSink> inner, std::shared_ptr<ByteDigest> digest = nullptr)
        : inner_(std::move(inner)), digest_(std::move(digest)) {}

    Status open() override;
    // Forwards; only a record the inner sink accepted counts.
    Status write(const HeaderRecord& r, std::string_view comment) override;
    // The inner sink's need, and the record's authorisation id (`auth=`) while its (generation,
    // authorisation) pair is new to the output.
    bool needs_comment(const HeaderRecord& r) const override { return inner_->needs_comment(r) || !seen(r); }
    Status close() override;
    std::uint64_t written() const override { return inner_->written(); }
    const CommitReport* commit_report() const override { return inner_->commit_report(); }

    // Read it only when no write() can run any more (after Exporter::finish()).
    const OutputProvenance& provenance() const { return seen_; }

private:
    bool seen(const HeaderRecord& r) const;  // its pair is among seen_.pairs

    std::unique_ptr<RecordSink> inner_;
    std::shared_ptr<ByteDigest> digest_;
    OutputProvenance seen_;
};

}  // namespace flowsieve
