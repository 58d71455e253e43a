// e2e_inputs.cpp: writes what the end-to-end comparison (perf/e2e/e2e.py) replays through net_pcap:
// the pipeline benchmark's own 64-byte `mix` frames (bench_world's mix_frames, same seed) as a
// pcap, and the 1M IP + 100k CIDR indicator lists the benchmark snapshot is built from. So the
// flowsieve binary, testpmd and the pipeline benchmark all see the same traffic and tables.
//
// Usage: e2e_inputs DIR [--frames N]   (writes DIR/mix64.pcap, DIR/ipsum-plus-1m.txt,
//                                        DIR/scanners-plus-100k.txt; prints the frame count)
#include <charconv>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "bench_world.hpp"
#include "pcap_output.hpp"

int main(int argc, char** argv) {
    using namespace flowsieve;
    std::size_t frames = 1 << 16;
    if (argc == 4 && std::string_view(argv[2]) == "--frames") {
        const std::string_view s = argv[3];
        if (std::from_chars(s.data(), s.data() + s.size(), frames).ec != std::errc{} || frames == 0) argc = 0;
    }
    if (argc != 2 && argc != 4) {
        std::fprintf(stderr, "usage: e2e_inputs DIR [--frames N]\n");
        return 2;
    }
    const std::string dir = argv[1];
    auto f = bench::mix_frames(frames);
    if (!f) {
        std::fprintf(stderr, "e2e_inputs: %s\n", f.error().message.c_str());
        return 1;
    }
    auto out = gen::PcapOutput::open(dir + "/mix64.pcap");
    if (!out) {
        std::fprintf(stderr, "e2e_inputs: %s\n", out.error().message.c_str());
        return 1;
    }
    for (std::size_t i = 0; i < f->count(); ++i)
        out->write(std::span<const std::uint8_t>(f->data(i), f->size(i)), f->size(i), f->time_ns[i]);
    if (auto st = out->close(); !st) {
        std::fprintf(stderr, "e2e_inputs: %s\n", st.error().message.c_str());
        return 1;
    }
    bench::write_indicator_files(dir);
    std::printf("%zu\n", f->count());
    return 0;
}
