# test_flow_tools.py: flowsieve's output read by a flow tool, as the README tells users to: nfpcapd
# (Debian's nfdump 1.7.1, unpacked into data/tools/ by scripts/setup) turns each output format into
# flow files, and nfdump's flows must hold every emitted TCP/UDP packet, with the size it had on the
# wire (the IP length, which the kept headers carry) and its time. What nfpcapd 1.7.1 cannot decode
# (802.1ad outer tags) it must count as skipped, nothing else.
import collections
import ipaddress
import json
import logging
import os
import shutil
import struct
import subprocess
import unittest

from scapy.utils import RawPcapReader

import flowsieve_run as fr
from test_generated_traffic import generate

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # scapy 2.5 warns of comments without a newline

TOOLS = os.path.join(fr.ROOT, "data", "tools", "nfdump", "usr", "bin")
QINQ_TPIDS = (0x88A8, 0x9100)  # outer tags nfpcapd 1.7.1 reports as "Unsupported link protocol"


def tool(name):
    path = os.path.join(TOOLS, name)
    return path if os.access(path, os.X_OK) else shutil.which(name)


def read_frames(path, times=False):
    """Every frame of a capture (pcap or pcapng), by scapy; with times=True (classic pcap only), each
    with its time in ns."""
    reader = RawPcapReader(path)
    try:
        if not times:
            return [frame for frame, _ in reader]
        scale = 1 if getattr(reader, "nano", False) else 1000
        return [(frame, meta.sec * 10**9 + meta.usec * scale) for frame, meta in reader]
    finally:
        reader.close()


def flow_of(frame):
    """A frame's unidirectional TCP/UDP flow (proto, src, dst, sport, dport), its IP length and whether
    it is whole (not an IPv4 fragment); "qinq" for an 802.1ad outer tag; None for anything else, an
    IPv6 extension header included (nfpcapd does not walk them), and a frame too short for these.
    Read here apart from flowsieve."""
    try:
        return _flow_of(frame)
    except (struct.error, IndexError, ValueError):
        return None


def _flow_of(frame):
    ethertype, l3 = struct.unpack_from(">H", frame, 12)[0], 14
    if ethertype in QINQ_TPIDS:
        return "qinq"
    while ethertype == 0x8100:
        ethertype, l3 = struct.unpack_from(">H", frame, l3 + 2)[0], l3 + 4
    if ethertype == 0x0800:
        proto, l4 = frame[l3 + 9], l3 + (frame[l3] & 15) * 4
        size, fragment = struct.unpack_from(">HxxH", frame, l3 + 2)
        src, dst, whole = frame[l3 + 12:l3 + 16], frame[l3 + 16:l3 + 20], fragment & 0x3FFF == 0
    elif ethertype == 0x86DD:
        proto, l4 = frame[l3 + 6], l3 + 40
        size = struct.unpack_from(">H", frame, l3 + 4)[0] + 40
        src, dst, whole = frame[l3 + 8:l3 + 24], frame[l3 + 24:l3 + 40], True
    else:
        return None
    if proto not in (6, 17) or len(frame) < l4 + 4:
        return None
    key = (proto, str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst))) + struct.unpack_from(">HH", frame, l4)
    return key, size, whole


def input_flows(path):
    """Per flow of the input capture: [packets, IP-length bytes, first ns, last ns]; and the flows that
    hold an IPv4 fragment (nfpcapd reassembles those: left out of the comparison)."""
    flows, fragmented = {}, set()
    for frame, t in read_frames(path, times=True):
        f = flow_of(frame)
        if f is None or f == "qinq":
            continue
        key, size, whole = f
        if not whole:
            fragmented.add(key)
        v = flows.setdefault(key, [0, 0, t, t])
        v[0] += 1
        v[1] += size
        v[2], v[3] = min(v[2], t), max(v[3], t)
    return flows, fragmented


def nfdump_flows(output, workdir):
    """nfpcapd over the output, then nfdump's flows summed per key: {key: [packets, bytes, first ms,
    last ms]} and nfpcapd's processed/skipped counts."""
    flow_dir = os.path.join(workdir, "flows")
    os.makedirs(flow_dir)
    p = subprocess.run([tool("nfpcapd"), "-r", output, "-w", flow_dir], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    counts = [line for line in p.stderr.splitlines() if line.startswith("Total: Processed:")]
    assert len(counts) == 1, p.stderr[-2000:]
    processed, skipped = (int(counts[0].split(f"{w}:")[1].split(",")[0]) for w in ("Processed", "skipped"))
    q = subprocess.run([tool("nfdump"), "-R", flow_dir, "-o", "json"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, TZ="UTC"), check=True)
    flows = collections.defaultdict(lambda: [0, 0, None, None])
    for f in json.loads(q.stdout):
        if f.get("type") != "FLOW" or f["proto"] not in (6, 17):
            continue
        key = (f["proto"], f.get("src4_addr") or f["src6_addr"], f.get("dst4_addr") or f["dst6_addr"], f["src_port"], f["dst_port"])
        v = flows[key]
        v[0] += f["in_packets"]
        v[1] += f["in_bytes"]
        v[2] = min(filter(None, (v[2], f["first"])))
        v[3] = max(filter(None, (v[3], f["last"])))
    return flows, processed, skipped


def ms_text(ns):
    """nfdump's JSON time (UTC, milliseconds) of a time in ns since the epoch."""
    import datetime
    t = datetime.datetime.fromtimestamp(ns // 10**6 / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ns // 10**6 % 1000:03d}"


class FlowTools(unittest.TestCase):
    def test_nfdump_counts_every_emitted_tcp_udp_packet_with_its_wire_size_and_time(self):
        for name in ("nfpcapd", "nfdump"):
            self.assertIsNotNone(tool(name), f"{name} is missing: scripts/setup unpacks it into data/tools/")
        with fr.tmpdir() as d:
            cap = os.path.join(d, "demo.pcap")
            # The realistic mix (no deliberate anomalies, every packet inside the authorisations'
            # windows): each flow's packets then share one verdict.
            generate(cap, 40000, profile="mix")
            flows, fragmented = input_flows(cap)
            for fmt in ("pcapng", "pcap"):
                with self.subTest(format=fmt):
                    work = os.path.join(d, fmt)
                    os.makedirs(work)
                    out = os.path.join(work, "out." + fmt)
                    r = fr.run(fr.demo_config(work), [cap], output=out, fmt=fmt, timeout=300)
                    self.assertEqual(r.rc, 0, r.stderr)
                    records = read_frames(out)
                    self.assertEqual(len(records), r.count("exporter written"))
                    parsed = [flow_of(frame) for frame in records]
                    emitted = {f[0] for f in parsed if f and f != "qinq"} - fragmented
                    self.assertGreater(len(emitted), 500)
                    self.assertTrue(any(":" in k[1] for k in emitted) and any("." in k[1] for k in emitted),
                                    "both IP versions are compared")
                    got, processed, skipped = nfdump_flows(out, work)
                    # Every record read; only those with an outer tag it cannot decode skipped.
                    self.assertEqual(processed, len(records))
                    self.assertEqual(skipped, parsed.count("qinq"))
                    # Each emitted flow as the input had it (all its packets emitted: see above).
                    for key in emitted:
                        with self.subTest(flow=key):
                            packets, size, first, last = flows[key]
                            self.assertEqual(got.get(key), [packets, size, ms_text(first), ms_text(last)])
                    extra = set(got) - emitted - fragmented
                    self.assertEqual(extra, set(), "nfdump holds no flow the output does not")


if __name__ == "__main__":
    unittest.main()
