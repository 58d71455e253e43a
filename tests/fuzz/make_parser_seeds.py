#!/usr/bin/env python3
"""make_parser_seeds.py: writes fuzz_parser seeds from the real captures in tests/data/pcap.

Each seed is a short run of consecutive packets from one capture in the harness's sequence format
(repeated [u16 big-endian length][frame bytes]). Frames are Ethernet as the parser expects: captures
of the other link types the replay takes (raw IP, Linux cooked, BSD null, PPP) get an Ethernet
header in place of their own link header, as src/parse/link_header.cpp gives them. The
output is bounded (seeds per capture, packets per seed, bytes per frame) so the committed corpus
stays small; rerun after adding captures:

    tests/fuzz/make_parser_seeds.py            # rewrites tests/fuzz/corpus/parser/
"""
import hashlib
import pathlib
import shutil
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "tests" / "data" / "pcap"
OUT = ROOT / "tests" / "fuzz" / "corpus" / "parser"

PACKETS_PER_SEED = 8
SEEDS_PER_CAPTURE = 4
SEEDS_BACKBONE = 24    # the 10k-packet backbone sample: more variety, still small
MAX_FRAME = 2048       # a longer frame is cut (as a snaplen would); its headers stay whole

ETH_SRC_DST = bytes.fromhex("020000000001020000000002")


def read_pcap(path):
    """Classic pcap only (every capture in tests/data is one): (linktype, [frame bytes])."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x03FFFFFF  # libpcap's mask: the FCS bits off
    frames, pos = [], 24
    while pos + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        frames.append(data[pos + 16:pos + 16 + incl])
        pos += 16 + incl
    return linktype, frames


def ethertype_for_ip(packet):
    return b"\x86\xdd" if packet[:1] and packet[0] >> 4 == 6 else b"\x08\x00"


def to_ethernet(linktype, frame):
    """The frame as the replay hands it on (src/parse/link_header.cpp), from tcpdump's link-type
    definitions. A frame too short for its link header becomes an empty frame, as there."""
    ipv6 = {24, 28, 30}
    if linktype == 1:                      # Ethernet
        return frame
    if linktype in (12, 101, 228, 229):    # raw IP, raw IPv4, raw IPv6
        etype = {228: b"\x08\x00", 229: b"\x86\xdd"}.get(linktype) or ethertype_for_ip(frame)
        return ETH_SRC_DST + etype + frame
    if linktype in (113, 276):             # Linux cooked v1 (16 bytes, protocol last) and v2 (20, protocol first)
        size, at = (16, 14) if linktype == 113 else (20, 0)
        return ETH_SRC_DST + frame[at:at + 2] + frame[size:] if len(frame) >= size else b""
    if linktype in (0, 108):               # BSD null (the writer's byte order) and loop (network order)
        if len(frame) < 4:
            return b""
        family = struct.unpack(">I", frame[:4])[0]
        if linktype == 0 and family > 0xFFFF:
            family = struct.unpack("<I", frame[:4])[0]
        return ETH_SRC_DST + (b"\x08\x00" if family == 2 else b"\x86\xdd" if family in ipv6 else b"\0\0") + frame[4:]
    if linktype == 9:                      # PPP: optional ff 03, then a 2-byte or compressed 1-byte protocol
        rest = frame[2:] if frame[:2] == b"\xff\x03" else frame
        if rest[:1] and rest[0] & 1:
            proto, rest = rest[0], rest[1:]
        elif len(rest) >= 2:
            proto, rest = struct.unpack(">H", rest[:2])[0], rest[2:]
        else:
            return b""
        return ETH_SRC_DST + {0x21: b"\x08\x00", 0x57: b"\x86\xdd"}.get(proto, b"\0\0") + rest
    raise ValueError(f"linktype {linktype} not handled")


def encode(frames):
    out = bytearray()
    for f in frames:
        f = f[:MAX_FRAME]
        out += struct.pack(">H", len(f)) + f
    return bytes(out)


# Crafted seeds: the captures' addresses are mostly absent from the test world (tests/fuzz/policy.yaml
# loads only the world extract), so without these the fuzzer would rarely reach an emitting verdict.
# Address pairs from the extract: transit (AU-US), operator (foreign to example-power), threat
# (ipsum-listed KR to JP), domestic-domestic, and IPv6 transit; then each in several packet forms.
PAIRS_V4 = [("1.0.0.1", "1.32.232.1"), ("1.0.2.1", "1.0.16.9"), ("61.73.27.69", "1.0.20.1"),
            ("1.0.20.1", "1.0.30.5")]
PAIRS_V6 = [("2001:200::1", "2001:400::1"), ("2003::1", "2001:218:2008:1::5")]


def ipv4(src, dst, proto, payload, frag=0):
    import ipaddress
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag, 64, proto, 0,
                      ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    return ETH_SRC_DST + b"\x08\x00" + hdr + payload


def ipv6(src, dst, next_header, payload, vlan=False):
    import ipaddress
    hdr = struct.pack(">IHBB16s16s", 6 << 28, len(payload), next_header, 64,
                      ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed)
    tag = b"\x81\x00\x00\x07" if vlan else b""
    return ETH_SRC_DST + tag + b"\x86\xdd" + hdr + payload


def tcp(sport, dport):
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 0x60, 0x02, 65535, 0, 0) + b"\x02\x04\x05\xb4" + b"GET /"


def udp(sport, dport, data=b"query"):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


def crafted_seeds():
    seeds = {}
    for i, (a, b) in enumerate(PAIRS_V4):
        seeds[f"crafted-v4-{i}"] = [ipv4(a, b, 6, tcp(40000, 443)), ipv4(b, a, 6, tcp(443, 40000)),
                                    ipv4(a, b, 17, udp(5353, 53)), ipv4(a, b, 1, b"\x08\x00\x00\x00\x00\x01\x00\x01ping"),
                                    ipv4(a, b, 6, tcp(40000, 25)), ipv4(a, b, 17, udp(1, 2), frag=0x2000),
                                    ipv4(a, b, 17, b"fragment data", frag=0x0010), ipv4(a, b, 47, b"\x00\x00\x08\x00"),
                                    ipv4(a, b, 51, b"\x06\x04\x00\x00" + bytes(20) + tcp(40000, 25))]  # AH, then TCP
    for i, (a, b) in enumerate(PAIRS_V6):
        frag_hdr = struct.pack(">BBHI", 17, 0, 1, 7) + udp(5353, 53)
        seeds[f"crafted-v6-{i}"] = [ipv6(a, b, 6, tcp(40000, 443)), ipv6(b, a, 17, udp(53, 5353), vlan=True),
                                    ipv6(a, b, 58, b"\x80\x00\x00\x00\x00\x01\x00\x01ping"),
                                    ipv6(a, b, 44, frag_hdr), ipv6(a, b, 0, b"\x06\x00" + b"\x01\x04" + bytes(4) + tcp(1, 2))]
    return seeds


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    total = 0
    for path in sorted(CAPTURES.rglob("*.pcap")):
        linktype, frames = read_pcap(path)
        frames = [to_ethernet(linktype, f) for f in frames]
        limit = SEEDS_BACKBONE if path.parent.name == "backbone" else SEEDS_PER_CAPTURE
        # Spread the seeds over the capture rather than taking only its start.
        runs = max(1, (len(frames) + PACKETS_PER_SEED - 1) // PACKETS_PER_SEED)
        picks = sorted({i * runs // limit for i in range(min(limit, runs))})
        for k in picks:
            seed = encode(frames[k * PACKETS_PER_SEED:(k + 1) * PACKETS_PER_SEED])
            name = f"{path.parent.name}-{path.stem}-{k:04d}-{hashlib.sha1(seed).hexdigest()[:8]}"
            (OUT / name).write_bytes(seed)
            total += len(seed)
    for name, frames in crafted_seeds().items():
        seed = encode(frames)
        (OUT / name).write_bytes(seed)
        total += len(seed)
    count = len(list(OUT.iterdir()))
    print(f"{count} seeds, {total} bytes in {OUT.relative_to(ROOT)}")
    return 0 if total < 2_000_000 else 1


if __name__ == "__main__":
    sys.exit(main())
