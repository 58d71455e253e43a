// retention_manifest.cpp: writing and reading output manifests (control plane).
#include "oversight/retention_manifest.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/time_text.hpp"
#include "export/atomic_file.hpp"
#include "export/output_keeper.hpp"
#include "export/pcap_writer.hpp"
#include "export/pcapng_writer.hpp"
#include "oversight/content_hash.hpp"

namespace flowsieve {

namespace {

std::string base_name(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// BLAKE2b-256, the same digest as file_content_hash_hex, fed piecewise (exporter thread).
class Blake2bDigest final : public ByteDigest {
public:
    void reset() override { h_.reset(); }
    void update(const std::uint8_t* p, std::size_t n) override { h_.update(p, n); }
    std::string hex() override { return h_.hex(); }

private:
    ContentHasher h_;
};

}  // namespace

std::unique_ptr<ProvenanceSink> make_output_sink(const std::string& path, std::string_view output_format,
                                                 const std::string& label) {
    auto digest = std::make_shared<Blake2bDigest>();
    auto feed = [digest](const std::uint8_t* p, std::size_t n) { digest->update(p, n); };
    if (output_format == "pcap") {
        auto w = std::make_unique<PcapWriter>(path);
        w->observe_bytes(feed);
        w->keep_earlier(keep_earlier_output);
        return std::make_unique<ProvenanceSink>(std::move(w), digest);
    }
    auto w = std::make_unique<PcapngWriter>(path, AtomicFile::default_buffer_bytes, label);
    w->observe_bytes(feed);
    w->keep_earlier(keep_earlier_output);
    return std::make_unique<ProvenanceSink>(std::move(w), digest);
}

std::string manifest_path_of(const std::string& output_path) { return std::string(output_path).append(manifest_suffix); }

AuditFields manifest_fields(const OutputManifest& m) {
    AuditFields f;
    f.add("file", m.file)
        .add("output_format", m.output_format)
        .add("blake2b", m.blake2b)
        .add("bytes", m.bytes)
        .add("records", m.records);
    if (m.first_packet_ns) f.add("first_packet", rfc3339_ns(*m.first_packet_ns));
    if (m.last_packet_ns) f.add("last_packet", rfc3339_ns(*m.last_packet_ns));
    f.add("written", rfc3339_ns(m.label.written_ns))
        .add("expires", rfc3339_ns(m.label.expires_ns))
        .add("generations", m.generations)
        .add("authorisations", m.authorisations)
        .add("provenance_complete", m.provenance_complete);
    return f;
}

std::string format_manifest(const OutputManifest& m) {
    AuditFields head;
    head.add("format", manifest_format);
    return "{" + head.body() + "," + manifest_fields(m).body() + "}\n";
}

Result<OutputManifest> parse_manifest(std::string_view text, const std::string& where) {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    if (text.find('\n') != std::string_view::npos) return error_at(where, 0, "not a flowsieve manifest (more than one line)");
    auto fields = scan_audit_line(text);
    if (!fields) return error_at(where, 0, "not a flowsieve manifest (not one JSON object)");
    auto raw = [&](const char* k) -> const std::string* {
        auto it = fields->find(k);
        return it == fields->end() ? nullptr : &it->second;
    };
    auto text_of = [&](const char* k) -> std::optional<std::string> {
        const std::string* r = raw(k);
        return r ? json_string_value(*r) : std::nullopt;
    };
    auto uint_of = [&](const char* k) -> std::optional<std::uint64_t> {
        const std::string* r = raw(k);
        return r ? json_uint_value(*r) : std::nullopt;
    };
    auto time_of = [&](const char* k) -> std::optional<std::int64_t> {
        auto t = text_of(k);
        return t ? parse_time(*t) : std::nullopt;
    };
    if (text_of("format") != std::string(manifest_format))
        return error_at(where, 0, "not a flowsieve manifest (format is not \"" + std::string(manifest_format) + "\")");
    OutputManifest m;
    auto bad = [&](const char* k, const char* what) { return error_at(where, 0, std::string(k) + ": " + what); };
    auto file = text_of("file");
    if (!file || file->empty() || file->find('/') != std::string::npos || *file == "." || *file == "..")
        return bad("file", "missing, or not a plain file name");
    m.file = *file;
    auto fmt = text_of("output_format");
    if (!fmt || (*fmt != "pcapng" && *fmt != "pcap")) return bad("output_format", "expected pcapng or pcap");
    m.output_format = *fmt;
    auto hash = text_of("blake2b");
    if (!hash || hash->size() != content_hash_hex_size ||
        hash->find_first_not_of("0123456789abcdef") != std::string::npos)
        return bad("blake2b", "missing, or not 64 lower-case hex digits");
    m.blake2b = *hash;
    auto bytes = uint_of("bytes"), records = uint_of("records");
    if (!bytes) return bad("bytes", "missing, or not a non-negative integer");
    if (!records) return bad("records", "missing, or not a non-negative integer");
    m.bytes = *bytes;
    m.records = *records;
    if (raw("first_packet") && !(m.first_packet_ns = time_of("first_packet"))) return bad("first_packet", "not an RFC 3339 time");
    if (raw("last_packet") && !(m.last_packet_ns = time_of("last_packet"))) return bad("last_packet", "not an RFC 3339 time");
    auto written = time_of("written"), expires = time_of("expires");
    if (!written) return bad("written", "missing, or not an RFC 3339 time");
    if (!expires) return bad("expires", "missing, or not an RFC 3339 time");
    m.label = {*written, *expires};
    if (const std::string* g = raw("generations")) {
        auto items = json_array_items(*g);
        if (!items) return bad("generations", "not an array of numbers");
        for (auto item : *items) {
            auto v = json_uint_value(item);
            if (!v) return bad("generations", "not an array of numbers");
            m.generations.push_back(*v);
        }
    } else {
        return bad("generations", "missing");
    }
    if (const std::string* a = raw("authorisations")) {
        auto items = json_array_items(*a);
        if (!items) return bad("authorisations", "not an array of strings");
        for (auto item : *items) {
            auto v = json_string_value(item);
            if (!v) return bad("authorisations", "not an array of strings");
            m.authorisations.push_back(*v);
        }
    } else {
        return bad("authorisations", "missing");
    }
    if (const std::string* c = raw("provenance_complete")) m.provenance_complete = *c != "false";
    return m;
}

Result<OutputManifest> read_manifest(const std::string& manifest_path) {
    const std::string name = base_name(manifest_path);
    if (name.size() <= manifest_suffix.size() ||
        name.compare(name.size() - manifest_suffix.size(), manifest_suffix.size(), manifest_suffix) != 0)
        return error_at(manifest_path, 0, "not a manifest name (expected <file>" + std::string(manifest_suffix) + ")");
    struct stat st {};
    if (::lstat(manifest_path.c_str(), &st) != 0) return error_at(manifest_path, 0, std::string("cannot stat: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return error_at(manifest_path, 0, "not a regular file");
    if (static_cast<std::uint64_t>(st.st_size) > manifest_max_bytes) return error_at(manifest_path, 0, "too large to be a manifest");
    std::ifstream in(manifest_path, std::ios::binary);
    if (!in) return error_at(manifest_path, 0, "cannot read");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto m = parse_manifest(text, manifest_path);
    if (!m) return m;
    const std::string own = name.substr(0, name.size() - manifest_suffix.size());
    if (m->file != own)
        return error_at(manifest_path, 0, "file: names \"" + m->file + "\", but a manifest only speaks for the file beside it (\"" + own + "\")");
    return m;
}

Result<OutputManifest> describe_output(const std::string& output_path, std::string_view output_format,
                                       const OutputLabel& label, const OutputProvenance& provenance) {
    OutputManifest m;
    m.file = base_name(output_path);
    m.output_format = std::string(output_format);
    if (!provenance.content_hash.empty()) {
        m.blake2b = provenance.content_hash;
    } else {
        auto hash = file_content_hash_hex(output_path);
        if (!hash) return hash.error();
        m.blake2b = hash.value();
    }
    struct stat st {};
    if (::stat(output_path.c_str(), &st) != 0) return error_at(output_path, 0, std::string("cannot stat: ") + std::strerror(errno));
    m.bytes = static_cast<std::uint64_t>(st.st_size);
    m.records = provenance.records;
    if (provenance.records > 0) {
        m.first_packet_ns = static_cast<std::int64_t>(provenance.first_ns);
        m.last_packet_ns = static_cast<std::int64_t>(provenance.last_ns);
    }
    m.label = label;
    m.generations = provenance.generations();
    m.authorisations = provenance.authorisations();
    m.provenance_complete = provenance.complete;
    return m;
}

Status write_manifest(const std::string& output_path, const OutputManifest& m) {
    const std::string text = format_manifest(m);
    AtomicFile f;
    if (auto s = f.open(manifest_path_of(output_path), 4096); !s) return s;
    if (auto s = f.append(text.data(), text.size()); !s) return s;
    return f.commit();
}

namespace {

// Puts the earlier output's manifest under `to`'s manifest name, then the output itself at `to`,
// neither replacing anything (EEXIST: `to` is taken, the caller tries the next name). The manifest
// goes first so that the archived file is never without one; if the file cannot follow, the new
// manifest is taken back. `m`: the manifest as read (rewritten for the new name), or none when it did
// not read (moved unchanged: an operator still sees what was wrong with it).
int move_with_manifest(const std::string& path, const std::string& to, const Result<OutputManifest>& m) {
    const std::string from_manifest = manifest_path_of(path), to_manifest = manifest_path_of(to);
    int err = 0;
    if (m) {
        OutputManifest renamed = m.value();
        renamed.file = base_name(to);
        err = create_new_file(to_manifest, format_manifest(renamed), 0640);
    } else {
        err = rename_noreplace(from_manifest, to_manifest);
    }
    if (err != 0) return err;
    err = rename_noreplace(path, to);
    if (err == 0) return 0;
    if (m) ::unlink(to_manifest.c_str());
    else rename_noreplace(to_manifest, from_manifest);
    return err;
}

}  // namespace

Result<std::string> keep_earlier_output(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return error_at(path, 0, std::string("cannot stat: ") + std::strerror(errno));
    // Only a regular file can be an earlier output; a directory or link there is not moved.
    if (!S_ISREG(st.st_mode)) return error_at(path, 0, "not a regular file: left where it is");
    const std::string manifest = manifest_path_of(path);
    struct stat mst {};
    const bool has_manifest = ::lstat(manifest.c_str(), &mst) == 0;
    const Result<OutputManifest> m = has_manifest ? read_manifest(manifest) : Result<OutputManifest>(Error{"none"});
    // Named by when its run wrote it (what its manifest, pcapng label and audit entry say), else by mtime.
    const std::int64_t when = m ? m->label.written_ns
                                : static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    auto kept = place_under_archived_name(path, when, [&](const std::string& to) {
        return has_manifest ? move_with_manifest(path, to, m) : rename_noreplace(path, to);
    });
    if (!kept) return error_at(path, 0, "cannot move to " + kept.error().message);
    // The manifest's content now speaks for the archived file; the old copy names a file no longer
    // there. Should it stay, the new output's manifest replaces it moments later.
    if (has_manifest && m) ::unlink(manifest.c_str());
    return kept;
}

}  // namespace flowsieve
