// audit_verifier.cpp: the audit log checks behind `flowsieve audit verify` (control plane).
#include "oversight/audit_verifier.hpp"

#include <map>
#include <optional>

#include "oversight/audit_entry.hpp"
#include "oversight/audit_log.hpp"
#include "oversight/base64.hpp"
#include "oversight/content_hash.hpp"

namespace flowsieve {

std::string_view name_of(AuditFinding f) {
    switch (f) {
        case AuditFinding::intact: return "intact";
        case AuditFinding::edited: return "edited";
        case AuditFinding::removed: return "removed";
        case AuditFinding::reordered: return "reordered";
        case AuditFinding::truncated: return "truncated";
        case AuditFinding::checkpoint: return "checkpoint";
    }
    return "?";
}

namespace {

struct Line {
    std::string_view bytes;
    std::string hash;
    bool parsed = false;  // has a valid seq, type and prev
    std::map<std::string, std::string> fields;
    std::uint64_t seq = 0;
    std::string type, prev;
};

bool is_hex64(const std::string& s) {
    if (s.size() != content_hash_hex_size) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

Line read_line(std::string_view bytes) {
    Line l;
    l.bytes = bytes;
    l.hash = content_hash_hex(bytes);
    auto f = scan_audit_line(bytes);
    if (!f) return l;
    l.fields = std::move(*f);
    auto get = [&](const char* k) -> const std::string* {
        auto it = l.fields.find(k);
        return it == l.fields.end() ? nullptr : &it->second;
    };
    const std::string *seq = get("seq"), *type = get("type"), *prev = get("prev");
    if (!seq || !type || !prev) return l;
    auto s = json_uint_value(*seq);
    auto t = json_string_value(*type);
    auto p = json_string_value(*prev);
    if (!s || !t || !p || !is_hex64(*p)) return l;
    l.seq = *s;
    l.type = *t;
    l.prev = *p;
    l.parsed = true;
    return l;
}

std::string at(std::size_t line, std::uint64_t seq) {
    return "line " + std::to_string(line) + " (seq " + std::to_string(seq) + ")";
}

}  // namespace

std::string adopted_range(std::uint64_t checkpoint_seq, std::uint64_t adopted) {
    const std::uint64_t first = checkpoint_seq - adopted, last = checkpoint_seq - 1;
    return adopted == 1 ? "the entry seq " + std::to_string(first)
                        : "the " + std::to_string(adopted) + " entries seq " + std::to_string(first) + ".." + std::to_string(last);
}

namespace {

class Verifier {
public:
    Verifier(std::string_view text, const std::vector<PublicKeyFile>& keys) : text_(text) {
        for (const auto& k : keys) trusted_[k.id] = k.key;
    }

    AuditVerdict run() {
        std::size_t start = 0;
        for (std::size_t nl = text_.find('\n'); nl != std::string_view::npos; start = nl + 1, nl = text_.find('\n', start))
            lines_.push_back(read_line(text_.substr(start, nl - start)));
        const bool cut = start < text_.size();  // bytes after the last newline: a line cut short
        v_.entries = lines_.size();
        if (lines_.empty() && !cut) return fail(AuditFinding::truncated, 0, 0, "empty: no entries");
        for (std::size_t i = 0; i < lines_.size(); ++i)
            if (!check(i)) return v_;
        const std::uint64_t last_seq = lines_.empty() ? 0 : lines_.back().seq;
        if (cut) {
            if (lines_.empty()) return fail(AuditFinding::truncated, 1, 0, "truncated mid-line at line 1: no complete entry");
            return fail(AuditFinding::truncated, lines_.size() + 1, last_seq,
                        "truncated after seq " + std::to_string(last_seq) + ": line " + std::to_string(lines_.size() + 1) +
                            " is cut mid-line" + tail_note());
        }
        const bool closed = lines_.size() >= 2 && lines_.back().type == "checkpoint" && lines_[lines_.size() - 2].type == "stop";
        if (!closed)
            return fail(AuditFinding::truncated, lines_.size(), last_seq,
                        "truncated after seq " + std::to_string(last_seq) +
                            ": the log does not end with a stop entry and its checkpoint (or the filter is still "
                            "running, or crashed)" + tail_note());
        if (trusted_.empty()) {
            // Every key the log declares is named: a log whose later runs switch to another key id may
            // have had them appended by someone else, which only --key can tell.
            std::string ids;
            for (const auto& [id, line] : declared_at_)
                ids += (ids.empty() ? "" : ", ") + ("'" + id + "' (line " + std::to_string(line) + ")");
            v_.notes.push_back("checkpoint signatures were checked against the keys the log's own start entries declare (" +
                               ids + "): pass --key FILTER.pub to check them against a key you trust");
        }
        v_.message = "intact: " + std::to_string(v_.entries) + " entries, " + std::to_string(v_.checkpoints) + " checkpoints";
        return v_;
    }

private:
    AuditVerdict fail(AuditFinding f, std::size_t line, std::uint64_t seq, std::string message) {
        v_.finding = f;
        v_.line = line;
        v_.seq = seq;
        v_.message = std::move(message);
        return v_;
    }

    std::string tail_note() const {
        if (since_ == 0) return "";
        return "; the " + std::to_string(since_) + " entries after the last checkpoint" +
               (last_checkpoint_ ? " (seq " + std::to_string(*last_checkpoint_) + ")" : std::string()) +
               " are an unverified tail";
    }

    // Checks line i (0-based) against its predecessor; false after recording the first problem.
    bool check(std::size_t i) {
        const Line& l = lines_[i];
        const std::size_t n = i + 1;
        const std::uint64_t expect_seq = i == 0 ? 0 : lines_[i - 1].seq + 1;
        const std::string& expect_prev = i == 0 ? audit_genesis_prev : lines_[i - 1].hash;
        if (!l.parsed) {
            fail(AuditFinding::edited, n, expect_seq, "line " + std::to_string(n) + " (seq " + std::to_string(expect_seq) +
                                                          " expected) is not a well-formed audit entry: edited");
            return false;
        }
        if (l.seq != expect_seq) {
            if (l.prev == expect_prev) {
                fail(AuditFinding::edited, n, l.seq,
                     at(n, l.seq) + ": seq " + std::to_string(expect_seq) + " expected and the chain is intact: edited");
            } else if (l.seq < expect_seq) {
                fail(AuditFinding::reordered, n, l.seq,
                     at(n, l.seq) + ": comes after seq " + std::to_string(expect_seq - 1) + ": reordered");
            } else if (auto j = find_seq(expect_seq, i + 1)) {
                fail(AuditFinding::reordered, n, l.seq,
                     at(n, l.seq) + ": seq " + std::to_string(expect_seq) + " expected here is at line " +
                         std::to_string(*j + 1) + ": reordered");
            } else {
                fail(AuditFinding::removed, n, l.seq,
                     at(n, l.seq) + ": entries seq " + std::to_string(expect_seq) + ".." + std::to_string(l.seq - 1) +
                         " are missing before it: removed");
            }
            return false;
        }
        if (l.prev != expect_prev) {
            // Either this line's prev field changed (then the next line no longer links to it
            // either) or the line before it changed.
            const bool next_breaks = i + 1 < lines_.size() && lines_[i + 1].parsed && lines_[i + 1].prev != l.hash;
            if (next_breaks || i == 0)
                fail(AuditFinding::edited, n, l.seq, at(n, l.seq) + ": its bytes do not chain: edited");
            else
                fail(AuditFinding::edited, n - 1, lines_[i - 1].seq,
                     at(n - 1, lines_[i - 1].seq) + ": its hash does not match the prev of line " + std::to_string(n) +
                         ": edited");
            return false;
        }
        if (l.type == "start" && !note_start(l, n)) return false;
        if (l.type == "checkpoint") return check_checkpoint(l, n);
        ++since_;
        if (since_ > every_) {
            fail(AuditFinding::checkpoint, n, l.seq,
                 at(n, l.seq) + ": " + std::to_string(since_) + " entries since the last checkpoint" +
                     (last_checkpoint_ ? " (seq " + std::to_string(*last_checkpoint_) + ")" : std::string()) +
                     ", more than checkpoint_every " + std::to_string(every_) + ": a checkpoint was removed");
            return false;
        }
        return true;
    }

    std::optional<std::size_t> find_seq(std::uint64_t seq, std::size_t from) const {
        for (std::size_t j = from; j < lines_.size(); ++j)
            if (lines_[j].parsed && lines_[j].seq == seq) return j;
        return std::nullopt;
    }

    // False (the verdict set) where the start entry declares, under a key id an earlier start entry
    // declared, another public key: without --key, checkpoints are checked against the keys the log
    // itself declares, and a forger could otherwise append a run of its own under the filter's key id
    // (the earlier runs cut away) that verified as intact. A filter key keeps its id for a whole log.
    bool note_start(const Line& l, std::size_t n) {
        auto every = l.fields.count("checkpoint_every") ? json_uint_value(l.fields.at("checkpoint_every")) : std::nullopt;
        if (every && *every > 0) every_ = *every;
        auto id = l.fields.count("key") ? json_string_value(l.fields.at("key")) : std::nullopt;
        auto pub = l.fields.count("public_key") ? json_string_value(l.fields.at("public_key")) : std::nullopt;
        if (id && pub)
            if (auto bytes = base64_decode(*pub); bytes && bytes->size() == PublicKey{}.size()) {
                PublicKey key{};
                std::copy(bytes->begin(), bytes->end(), key.begin());
                auto [it, added] = declared_.emplace(*id, key);
                if (!added && it->second != key) {
                    fail(AuditFinding::checkpoint, n, l.seq,
                         at(n, l.seq) + ": key id '" + *id + "' is declared with another public key than at line " +
                             std::to_string(declared_at_[*id]) +
                             ": forged, or the filter key was replaced under the same id (a new key needs a new id)");
                    return false;
                }
                if (added) declared_at_[*id] = n;
            }
        if (n > 1) {
            // The run before this one should have closed with stop + checkpoint; a crash leaves
            // entries sealed by the next run's first checkpoint instead.
            std::string before;
            for (std::size_t j = n - 1; j-- > 0;)
                if (lines_[j].type != "checkpoint") {
                    before = lines_[j].type;
                    break;
                }
            if (before != "stop")
                v_.notes.push_back(at(n, l.seq) + ": a new run starts after one that did not stop cleanly");
        }
        return true;
    }

    bool check_checkpoint(const Line& l, std::size_t n) {
        auto id = l.fields.count("key") ? json_string_value(l.fields.at("key")) : std::nullopt;
        auto count = l.fields.count("entries") ? json_uint_value(l.fields.at("entries")) : std::nullopt;
        auto sig_text = l.fields.count("sig") ? json_string_value(l.fields.at("sig")) : std::nullopt;
        const auto marker = l.bytes.rfind(audit_sig_marker);
        if (!id || !count || !sig_text || marker == std::string_view::npos ||
            l.bytes.substr(marker + audit_sig_marker.size()) != json_string(*sig_text) + "}") {
            fail(AuditFinding::checkpoint, n, l.seq, at(n, l.seq) + ": malformed checkpoint: edited");
            return false;
        }
        const std::uint64_t covered = count.value_or(0);
        const auto sig = signature_from_base64(*sig_text);
        if (!sig) {
            fail(AuditFinding::checkpoint, n, l.seq, at(n, l.seq) + ": checkpoint signature is not 64 bytes of base64: forged");
            return false;
        }
        const auto& keys = trusted_.empty() ? declared_ : trusted_;
        auto key = keys.find(*id);
        if (key == keys.end()) {
            fail(AuditFinding::checkpoint, n, l.seq,
                 at(n, l.seq) + ": checkpoint signed by key '" + *id + "', which is not " +
                     (trusted_.empty() ? "recorded in a start entry (pass --key)" : "among the --key files"));
            return false;
        }
        const std::string signed_bytes = std::string(audit_checkpoint_domain) + std::string(l.bytes.substr(0, marker));
        if (!verify_detached(signed_bytes, *sig, key->second)) {
            fail(AuditFinding::checkpoint, n, l.seq,
                 at(n, l.seq) + ": checkpoint signature does not verify with key '" + *id + "': forged or edited");
            return false;
        }
        if (covered != since_) {
            fail(AuditFinding::checkpoint, n, l.seq,
                 at(n, l.seq) + ": the checkpoint covers " + std::to_string(covered) + " entries but " +
                     std::to_string(since_) + " precede it since the last one: a checkpoint was removed");
            return false;
        }
        if (l.fields.count("adopted")) {
            // The first checkpoint of a run, over a crashed run's tail (audit_log.hpp): the signature
            // vouches for the entries as found, not for who wrote them.
            const auto adopted = json_uint_value(l.fields.at("adopted"));
            if (!adopted || *adopted == 0 || *adopted != covered) {
                fail(AuditFinding::checkpoint, n, l.seq, at(n, l.seq) + ": malformed checkpoint (adopted): edited");
                return false;
            }
            v_.notes.push_back(at(n, l.seq) + ": seals " + adopted_range(l.seq, *adopted) +
                               " as the next run found them after a run that did not stop cleanly: no signature vouches "
                               "that the filter wrote them (reports leave them out)");
        }
        since_ = 0;
        last_checkpoint_ = l.seq;
        ++v_.checkpoints;
        v_.sealed_lines = n;
        v_.sealed_seq = l.seq;
        return true;
    }

    std::string_view text_;
    std::vector<Line> lines_;
    std::map<std::string, PublicKey> trusted_, declared_;
    std::map<std::string, std::size_t> declared_at_;  // the line of each id's first declaration
    AuditVerdict v_;
    std::uint64_t every_ = 64;
    std::uint64_t since_ = 0;
    std::optional<std::uint64_t> last_checkpoint_;
};

}  // namespace

AuditVerdict verify_audit_log(std::string_view text, const std::vector<PublicKeyFile>& keys) {
    return Verifier(text, keys).run();
}

}  // namespace flowsieve
