// export_test_util.hpp: helpers for the export tests: temp dirs, records built from real captures,
// and a tshark reader used as an independent second decoder of the files the sinks write.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "capture_file.hpp"
#include "export/header_record.hpp"

namespace flowsieve::testing {

// A fresh directory under gtest's temp dir, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        std::string tmpl = ::testing::TempDir() + "flowsieve-export-XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    const std::string& path() const { return path_; }
    // Names of the entries in the directory, sorted.
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename());
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    std::string path_;
};

inline bool file_exists(const std::string& p) { return std::filesystem::exists(p); }

inline std::vector<std::uint8_t> file_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// End of the outermost L4 header of an Ethernet frame (L3 end without TCP/UDP), found
// independently of src/parse so the records look like real selector output: Ethernet, any
// 802.1Q/802.1ad tags, IPv4 IHL, then TCP data offset or the 8-byte UDP header.
inline std::size_t l4_end(const std::vector<std::uint8_t>& f) {
    std::size_t off = 12;
    auto be16 = [&](std::size_t o) { return static_cast<unsigned>(f[o] << 8 | f[o + 1]); };
    while (off + 2 <= f.size() && (be16(off) == 0x8100 || be16(off) == 0x88a8)) off += 4;
    if (off + 2 > f.size() || be16(off) != 0x0800) return std::min<std::size_t>(off, f.size());
    std::size_t ip = off + 2;
    std::size_t l4 = ip + (f[ip] & 0x0fu) * 4u;
    if (f[ip + 9] == 6) return std::min(f.size(), l4 + (f[l4 + 12] >> 4) * 4u);
    if (f[ip + 9] == 17) return std::min(f.size(), l4 + 8);
    return std::min(f.size(), l4);
}

// A record carrying frame[0, header_len) with every byte past header_len set to `filler`.
inline HeaderRecord make_record(const CapturedPacket& frame, std::size_t header_len, std::uint64_t time_ns,
                                std::uint16_t port, std::uint8_t filler = 0xE7) {
    HeaderRecord r;
    std::memset(r.bytes, filler, sizeof r.bytes);
    std::size_t n = std::min(header_len, frame.bytes.size());
    std::memcpy(r.bytes, frame.bytes.data(), std::min(n, HeaderRecord::max_header_bytes));
    r.header_len = static_cast<std::uint16_t>(n);
    r.wire_len = frame.wire_len;
    r.time_ns = time_ns;
    r.port = port;
    return r;
}

// Every Ethernet frame of the two real IPv4 captures copied into tests/data.
inline std::vector<CapturedPacket> real_frames() {
    std::vector<CapturedPacket> out;
    for (const char* f : {"pcap/ipv4/tcp-http.pcap", "pcap/ipv4/udp-syslog.pcap"}) {
        auto c = read_capture(test_data(f));
        if (c.linktype != 1) throw std::runtime_error(std::string(f) + ": not Ethernet");
        out.insert(out.end(), c.packets.begin(), c.packets.end());
    }
    return out;
}

inline bool have_program(const std::string& name) {
    return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

struct TsharkRow {
    unsigned interface_id = 0;
    std::string interface_name;
    std::uint32_t len = 0;
    std::uint32_t cap_len = 0;
    std::uint64_t time_ns = 0;
    std::string comment;
};

// "1395173523.342266000" -> ns, without going through a double.
inline std::uint64_t epoch_text_to_ns(const std::string& s) {
    auto dot = s.find('.');
    std::uint64_t sec = std::stoull(s.substr(0, dot));
    std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
    frac.resize(9, '0');
    return sec * 1'000'000'000ull + std::stoull(frac);
}

// Decodes `path` with tshark; nullopt (with a gtest failure) if tshark fails on the file.
inline std::optional<std::vector<TsharkRow>> tshark_read(const std::string& path) {
    std::string cmd = "tshark -r '" + path +
                      "' -T fields -E separator=/t -E occurrence=f -e frame.interface_id"
                      " -e frame.interface_name -e frame.len -e frame.cap_len -e frame.time_epoch"
                      " -e frame.comment 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) {
        ADD_FAILURE() << "popen tshark failed";
        return std::nullopt;
    }
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = ::pclose(p);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        ADD_FAILURE() << "tshark failed on " << path << ":\n" << out;
        return std::nullopt;
    }
    std::vector<TsharkRow> rows;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find('\t') == std::string::npos) continue;  // e.g. the "running as root" notice
        std::vector<std::string> f;
        std::size_t start = 0, tab;
        while ((tab = line.find('\t', start)) != std::string::npos) {
            f.push_back(line.substr(start, tab - start));
            start = tab + 1;
        }
        f.push_back(line.substr(start));
        if (f.size() != 6) {
            ADD_FAILURE() << "unexpected tshark line: " << line;
            return std::nullopt;
        }
        TsharkRow r;
        r.interface_id = f[0].empty() ? 0u : static_cast<unsigned>(std::stoul(f[0]));
        r.interface_name = f[1];
        r.len = static_cast<std::uint32_t>(std::stoul(f[2]));
        r.cap_len = static_cast<std::uint32_t>(std::stoul(f[3]));
        r.time_ns = epoch_text_to_ns(f[4]);
        r.comment = f[5];
        rows.push_back(r);
    }
    return rows;
}

}  // namespace flowsieve::testing
