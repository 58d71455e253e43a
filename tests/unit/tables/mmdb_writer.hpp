// mmdb_writer.hpp: writes small MaxMind DB files for the loader's tests, from the format's spec
// (https://maxmind.github.io/MaxMind-DB/): a binary search tree, 16 zero bytes, a
// data section, then the metadata marker and map (24-, 28- or 32-bit records). Only what the tests
// need: strings, maps, unsigned integers and arrays; networks that do not overlap.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace flowsieve::test {

// Encoded data-section values (each a complete field: control byte(s) then payload).
namespace mmdb_data {

inline std::string control(int type, std::size_t size) {
    std::string out;
    const int t = type <= 7 ? type : 0;
    std::string ext;
    if (type > 7) ext.push_back(static_cast<char>(type - 7));
    std::string extra;
    int low;
    if (size < 29) {
        low = static_cast<int>(size);
    } else if (size < 29 + 256) {
        low = 29;
        extra.push_back(static_cast<char>(size - 29));
    } else {
        low = 30;
        const std::size_t s = size - 285;
        extra.push_back(static_cast<char>(s >> 8));
        extra.push_back(static_cast<char>(s & 0xff));
    }
    out.push_back(static_cast<char>(t << 5 | low));
    return out + ext + extra;
}
inline std::string str(const std::string& s) { return control(2, s.size()) + s; }
inline std::string uint(int type, std::uint64_t v) {  // type 5 uint16, 6 uint32, 9 uint64
    std::string bytes;
    while (v) {
        bytes.insert(bytes.begin(), static_cast<char>(v & 0xff));
        v >>= 8;
    }
    return control(type, bytes.size()) + bytes;
}
inline std::string map(const std::vector<std::pair<std::string, std::string>>& kv) {
    std::string out = control(7, kv.size());
    for (const auto& [k, v] : kv) out += str(k) + v;
    return out;
}
inline std::string array(const std::vector<std::string>& items) {
    std::string out = control(11, items.size());
    for (const auto& i : items) out += i;
    return out;
}

}  // namespace mmdb_data

class MmdbWriter {
public:
    // record_size: 24, 28 or 32 bits per record.
    explicit MmdbWriter(int ip_version, int record_size = 24)
        : bits_(ip_version == 4 ? 32 : 128), ip_version_(ip_version), record_size_(record_size) {
        nodes_.emplace_back();
    }

    // A data record (an encoded value); returns its index for network().
    int record(std::string encoded) {
        data_.push_back(std::move(encoded));
        return static_cast<int>(data_.size()) - 1;
    }
    // The network of `len` bits whose address is `hi:lo` (IPv4: lo's low 32 bits) maps to record r.
    void network(std::uint64_t hi, std::uint64_t lo, int len, int r) { set(hi, lo, len, {Kind::data, r}); }
    // The record at that network points to the node that network `to_len` bits of `to_hi:to_lo`
    // ends at (an alias, or with a shorter target a loop).
    void link(std::uint64_t hi, std::uint64_t lo, int len, std::uint64_t to_hi, std::uint64_t to_lo, int to_len) {
        set(hi, lo, len, {Kind::node, node_at(to_hi, to_lo, to_len)});
    }
    // A raw 24-bit record value at that network (corrupt files).
    void raw(std::uint64_t hi, std::uint64_t lo, int len, std::uint32_t value) { set(hi, lo, len, {Kind::raw, static_cast<int>(value)}); }

    std::uint64_t build_epoch = 1781725900;  // 2026-06-17

    std::string bytes() const {
        const auto node_count = static_cast<std::uint32_t>(nodes_.size());
        std::vector<std::uint32_t> offsets;
        std::string data;
        for (const auto& d : data_) {
            offsets.push_back(static_cast<std::uint32_t>(data.size()));
            data += d;
        }
        std::string out;
        const auto value = [&](const Rec& r) {
            if (r.kind == Kind::node || r.kind == Kind::raw) return static_cast<std::uint32_t>(r.value);
            if (r.kind == Kind::data) return node_count + 16 + offsets[static_cast<std::size_t>(r.value)];
            return node_count;  // empty
        };
        const auto be = [&](std::uint32_t v, int bytes) {
            for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
        };
        for (const Node& n : nodes_) {
            const std::uint32_t l = value(n.rec[0]), r = value(n.rec[1]);
            if (record_size_ == 28) {  // 3 bytes of left, its top 4 bits then right's in one byte, 3 of right
                be(l & 0xFFFFFF, 3);
                out.push_back(static_cast<char>((l >> 24) << 4 | (r >> 24)));
                be(r & 0xFFFFFF, 3);
            } else {
                be(l, record_size_ / 8);
                be(r, record_size_ / 8);
            }
        }
        out += std::string(16, '\0') + data;
        using namespace mmdb_data;
        out += std::string("\xAB\xCD\xEFMaxMind.com", 14);
        out += map({{"binary_format_major_version", uint(5, 2)},
                    {"binary_format_minor_version", uint(5, 0)},
                    {"build_epoch", uint(9, build_epoch)},
                    {"database_type", str("flowsieve-test")},
                    {"description", map({{"en", str("flowsieve test database")}})},
                    {"ip_version", uint(5, static_cast<std::uint64_t>(ip_version_))},
                    {"languages", array({str("en")})},
                    {"node_count", uint(6, node_count)},
                    {"record_size", uint(5, static_cast<std::uint64_t>(record_size_))}});
        return out;
    }
    void write(const std::string& path) const {
        std::ofstream(path, std::ios::binary) << bytes();
    }

private:
    enum class Kind { empty, node, data, raw };
    struct Rec {
        Kind kind = Kind::empty;
        int value = 0;
    };
    struct Node {
        Rec rec[2];
    };

    int bit(std::uint64_t hi, std::uint64_t lo, int i) const {  // bit i from the top of the address
        if (bits_ == 32) return static_cast<int>(lo >> (31 - i) & 1);
        return static_cast<int>(i < 64 ? hi >> (63 - i) & 1 : lo >> (127 - i) & 1);
    }
    // The node the first `len` bits lead to, created on the way.
    int node_at(std::uint64_t hi, std::uint64_t lo, int len) {
        int n = 0;
        for (int i = 0; i < len; ++i) {
            const int side = bit(hi, lo, i);
            if (nodes_[static_cast<std::size_t>(n)].rec[side].kind != Kind::node) {
                nodes_.emplace_back();  // (invalidates references into nodes_)
                nodes_[static_cast<std::size_t>(n)].rec[side] = {Kind::node, static_cast<int>(nodes_.size()) - 1};
            }
            n = nodes_[static_cast<std::size_t>(n)].rec[side].value;
        }
        return n;
    }
    void set(std::uint64_t hi, std::uint64_t lo, int len, Rec rec) {
        const int n = node_at(hi, lo, len - 1);
        nodes_[static_cast<std::size_t>(n)].rec[bit(hi, lo, len - 1)] = rec;
    }

    int bits_, ip_version_, record_size_;
    std::vector<Node> nodes_;
    std::vector<std::string> data_;
};

}  // namespace flowsieve::test
