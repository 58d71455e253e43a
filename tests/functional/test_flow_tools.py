# test_flow_tools.py: flowsieve's output read by a flow tool, as the README tells users to: nfpcapd
# (Debian's nfdump 1.7.1, unpacked into data/tools/ by scripts/setup) turns each output format into
# flow files. On the realistic mix, nfdump's flows must hold every emitted TCP/UDP packet with its
# IP length and its time, as the input capture had them. On the demo traffic (every shape flowsieve
# emits), the README's account of what nfpcapd 1.7.1 does not take must hold exactly: records whose
# VLAN tags include 802.1ad or 0x9100 are skipped, IPv4 fragments (first ones: the only ones emitted)
# never reach a flow, IPv6 extension headers make flows of their own protocol numbers, and every other
# record lands in a flow.
import collections
import datetime
import ipaddress
import json
import logging
import os
import struct
import subprocess
import unittest

from scapy.utils import RawPcapReader

import flowsieve_run as fr
from test_generated_traffic import generate

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # scapy 2.5 warns of comments without a newline

# The copy scripts/setup unpacks, and only it: the README describes this version's behaviour.
TOOLS = os.path.join(fr.ROOT, "data", "tools", "nfdump", "usr", "bin")
QINQ_TPIDS = (0x88A8, 0x9100)  # tags nfpcapd 1.7.1 reports as "Unsupported link protocol", first or not


def tool(name):
    return os.path.join(TOOLS, name)


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


def outer_ip(frame):
    """(EtherType, offset) after the frame's 802.1Q tags, or "qinq" when a tag nfpcapd cannot decode
    comes first or after one of those. Read here apart from flowsieve."""
    ethertype, l3 = struct.unpack_from(">H", frame, 12)[0], 14
    while ethertype == 0x8100 or ethertype in QINQ_TPIDS:
        if ethertype in QINQ_TPIDS:
            return "qinq"
        ethertype, l3 = struct.unpack_from(">H", frame, l3 + 2)[0], l3 + 4
    return ethertype, l3


def is_ipv4_fragment(frame):
    o = outer_ip(frame)
    return o != "qinq" and o[0] == 0x0800 and struct.unpack_from(">H", frame, o[1] + 6)[0] & 0x3FFF != 0


def flow_of(frame):
    """A frame's unidirectional TCP/UDP flow (proto, src, dst, sport, dport) and its IP length, when it
    is neither an IPv4 fragment nor behind an undecodable tag; else None (an IPv6 extension header, a
    frame too short for these reads, other protocols too)."""
    try:
        o = outer_ip(frame)
        if o == "qinq" or is_ipv4_fragment(frame):
            return None
        ethertype, l3 = o
        if ethertype == 0x0800:
            proto, l4 = frame[l3 + 9], l3 + (frame[l3] & 15) * 4
            size = struct.unpack_from(">H", frame, l3 + 2)[0]
            src, dst = frame[l3 + 12:l3 + 16], frame[l3 + 16:l3 + 20]
        elif ethertype == 0x86DD:
            proto, l4 = frame[l3 + 6], l3 + 40
            size = struct.unpack_from(">H", frame, l3 + 4)[0] + 40
            src, dst = frame[l3 + 8:l3 + 24], frame[l3 + 24:l3 + 40]
        else:
            return None
        if proto not in (6, 17) or len(frame) < l4 + 4:
            return None
        key = (proto, str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst))) + struct.unpack_from(">HH", frame, l4)
        return key, size
    except (struct.error, IndexError, ValueError):
        return None


def input_flows(path):
    """Per TCP/UDP flow of the input capture: [packets, IP-length bytes, first ns, last ns]."""
    flows = {}
    for frame, t in read_frames(path, times=True):
        f = flow_of(frame)
        if f is None:
            continue
        key, size = f
        v = flows.setdefault(key, [0, 0, t, t])
        v[0] += 1
        v[1] += size
        v[2], v[3] = min(v[2], t), max(v[3], t)
    return flows


def nfdump(output, workdir):
    """nfpcapd over the output, then nfdump: its flow records (JSON objects) and nfpcapd's processed
    and skipped counts."""
    flow_dir = os.path.join(workdir, "flows")
    os.makedirs(flow_dir)
    p = subprocess.run([tool("nfpcapd"), "-r", output, "-w", flow_dir], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    counts = [line for line in p.stderr.splitlines() if line.startswith("Total: Processed:")]
    assert len(counts) == 1, p.stderr[-2000:]
    processed, skipped = (int(counts[0].split(f"{w}:")[1].split(",")[0]) for w in ("Processed", "skipped"))
    q = subprocess.run([tool("nfdump"), "-R", flow_dir, "-o", "json"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, TZ="UTC"), check=True)
    records = [] if "No matching flows" in q.stdout else [f for f in json.loads(q.stdout) if f.get("type") == "FLOW"]
    return records, processed, skipped


def tcp_udp_flows(records):
    """nfdump's TCP/UDP flow records summed per key (nfpcapd splits a flow at FIN/RST and at its
    timeouts): {key: [packets, bytes, first, last]}."""
    flows = collections.defaultdict(lambda: [0, 0, None, None])
    for f in records:
        if f["proto"] not in (6, 17):
            continue
        key = (f["proto"], f.get("src4_addr") or f["src6_addr"], f.get("dst4_addr") or f["dst6_addr"], f["src_port"], f["dst_port"])
        v = flows[key]
        v[0] += f["in_packets"]
        v[1] += f["in_bytes"]
        v[2] = min(filter(None, (v[2], f["first"])))
        v[3] = max(filter(None, (v[3], f["last"])))
    return flows


def ms_text(ns):
    """nfdump's JSON time of a time in ns since the epoch: UTC, the milliseconds truncated."""
    t = datetime.datetime.fromtimestamp(ns // 10**6 / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ns // 10**6 % 1000:03d}"


class FlowTools(unittest.TestCase):
    def setUp(self):
        for name in ("nfpcapd", "nfdump"):
            self.assertTrue(os.access(tool(name), os.X_OK), f"{tool(name)} is missing: scripts/setup unpacks it")

    def run_filter(self, d, cap, fmt):
        work = os.path.join(d, fmt)
        os.makedirs(work)
        out = os.path.join(work, "out." + fmt)
        r = fr.run(fr.demo_config(work), [cap], output=out, fmt=fmt, timeout=300)
        self.assertEqual(r.rc, 0, r.stderr)
        frames = read_frames(out)
        self.assertEqual(len(frames), r.count("exporter written"))
        return r, frames, nfdump(out, work)

    def test_nfdump_counts_every_emitted_tcp_udp_packet_with_its_ip_length_and_time(self):
        with fr.tmpdir() as d:
            cap = os.path.join(d, "mix.pcap")
            # The realistic mix: no deliberate anomalies, every packet inside the authorisations'
            # windows, so each flow's packets share one verdict (all emitted or none).
            generate(cap, 40000, profile="mix")
            flows = input_flows(cap)
            for fmt in ("pcapng", "pcap"):
                with self.subTest(format=fmt):
                    _, frames, (records, processed, skipped) = self.run_filter(d, cap, fmt)
                    emitted = collections.Counter(f[0] for f in map(flow_of, frames) if f)
                    self.assertGreater(len(emitted), 500)
                    self.assertTrue(any(":" in k[1] for k in emitted) and any("." in k[1] for k in emitted),
                                    "both IP versions are compared")
                    # Every packet of an emitted flow is in the output (the mix's flows are whole) ...
                    partial = [k for k, n in emitted.items() if n != flows[k][0]]
                    self.assertEqual(partial, [], "flows the output holds only part of")
                    # ... and in nfdump's flows as the input had it; nothing else is.
                    self.assertEqual(processed, len(frames))
                    self.assertEqual(skipped, sum(outer_ip(f) == "qinq" for f in frames))
                    got = tcp_udp_flows(records)
                    wrong = [(k, got.get(k), flows[k]) for k in emitted
                             if got.get(k) != flows[k][:2] + [ms_text(flows[k][2]), ms_text(flows[k][3])]]
                    self.assertEqual(len(wrong), 0, f"{len(wrong)} flows differ, the first: {wrong[:3]}")
                    self.assertEqual(set(got) - set(emitted), set(), "nfdump holds no flow the output does not")

    def test_what_nfpcapd_leaves_out_of_the_demo_traffic_is_what_the_readme_says(self):
        with fr.tmpdir() as d:
            cap = os.path.join(d, "demo.pcap")
            generate(cap, 20000)  # every category and drop reason: fragments, IPv6 options, QinQ...
            _, frames, (records, processed, skipped) = self.run_filter(d, cap, "pcapng")
            qinq = sum(outer_ip(f) == "qinq" for f in frames)
            fragments = sum(is_ipv4_fragment(f) for f in frames if outer_ip(f) != "qinq")
            self.assertGreater(qinq, 0)
            self.assertGreater(fragments, 0)
            self.assertEqual(processed, len(frames))
            self.assertEqual(skipped, qinq, "skipped: the records behind 802.1ad or 0x9100 tags, and only those")
            self.assertEqual(sum(f["in_packets"] for f in records), processed - skipped - fragments,
                             "every other record in a flow but the IPv4 fragments")
            # nfpcapd does not walk IPv6 extension headers: such a packet's flow has the first one's
            # number as its protocol (hop-by-hop 0, routing 43, fragment 44, destination options 60).
            extension = (0, 43, 44, 60)
            v6_extended = sum(1 for f in frames if (o := outer_ip(f)) != "qinq" and o[0] == 0x86DD and f[o[1] + 6] in extension)
            self.assertGreater(v6_extended, 0)
            self.assertEqual(sum(f["in_packets"] for f in records if f["proto"] in extension), v6_extended)


if __name__ == "__main__":
    unittest.main()
