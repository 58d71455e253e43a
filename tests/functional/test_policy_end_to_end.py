# test_policy_end_to_end.py: the real binary on crafted captures whose endpoints are real addresses
# of the world table: exact records per category, exact drop counters, header-only output,
# authorisation windows at packet time, domestic-domestic never emitted, accounting identity.
import collections
import gzip
import ipaddress
import json
import os
import struct
import subprocess
import unittest

from scapy.all import ARP, ICMP, IP, UDP, Dot1Q, Ether, IPv6, Raw, TCP, wrpcap
from scapy.layers.inet6 import IPv6ExtHdrFragment
from scapy.utils import RawPcapReader, RawPcapWriter

import flowsieve_run as fr

T0 = 1780272000  # 2026-06-01T00:00:00Z, inside the windows below
PAYLOAD = fr.MARKER * 8


def pkt(layers, t, payload=PAYLOAD):
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / layers / Raw(payload)
    p.time = t
    return p


class Addresses:
    def __init__(self):
        w = fr.world()
        self.us, self.de, self.cn = w.address_in("US"), w.address_in("DE"), w.address_in("CN")
        self.jp, self.jp2 = w.address_in("JP", nth=0), w.address_in("JP", nth=5)
        self.us6, self.de6 = w.address_in("US", 6), w.address_in("DE", 6)
        self.operator = "27.113.248.10"  # inside the operator prefix 27.113.248.0/22 (a JP block)
        # A real indicator from the ipsum feed that the world table places abroad.
        with open(os.path.join(fr.INDICATORS, "ipsum-level3.txt")) as f:
            for line in f:
                a = line.split("#")[0].strip()
                if a and w.country(a) not in (None, "JP"):
                    self.indicator = a
                    break


def policy(workdir, auth_from="2026-01-01T00:00:00Z", auth_until="2027-01-01T00:00:00Z", fmt=None):
    auths = [
        fr.authorisation("APP-T", "approval", "transit", auth_from, auth_until),
        fr.authorisation("CON-P", "consent", "operator", auth_from, auth_until, scope={"operator": "power"}),
        fr.authorisation("APP-X", "approval", "threat-linked", auth_from, auth_until, scope={"indicator_sets": ["ipsum"]}),
    ]
    rules = [
        {"id": "transit", "category": "transit", "between": ["foreign", "foreign"], "authorisation": "APP-T"},
        {"id": "power", "category": "operator", "between": ["foreign", "operator:power"], "authorisation": "CON-P"},
        {"id": "threat", "category": "threat-linked", "between": ["foreign", "domestic"], "indicator_sets": ["ipsum"],
         "authorisation": "APP-X"},
    ]
    extra = {"output": {"path": os.path.join(workdir, "out.pcapng"), "format": fmt or "pcapng"}, "stats": {"interval_s": 60}}
    return fr.base_config(workdir, auths, rules,
                          indicators=[{"name": "ipsum", "file": os.path.join(fr.INDICATORS, "ipsum-level3.txt")}],
                          operators=[{"id": "power", "prefixes": ["27.113.248.0/22"]}], extra=extra)


def with_config(path, **sections):
    """The config at `path` with these top-level sections replaced (it is JSON, which YAML reads)."""
    with open(path) as f:
        c = json.load(f)
    c.update(sections)
    with open(path, "w") as f:
        json.dump(c, f)
    return path


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Addresses()

    def craft(self, workdir):
        """Frames and, for each, what flowsieve must do with it: (category, header length) or a drop reason."""
        a, t = self.a, T0
        cases = [
            (pkt(IP(src=a.us, dst=a.de) / TCP(sport=40000, dport=443, flags="S"), t + 0), ("transit", 54)),
            (pkt(IP(src=a.de, dst=a.us) / TCP(sport=443, dport=40000, flags="SA", options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]), t + 1),
             ("transit", 14 + 20 + 28)),
            (pkt(Dot1Q(vlan=10) / IP(src=a.us, dst=a.cn) / UDP(sport=5353, dport=53), t + 2), ("transit", 18 + 20 + 8)),
            (pkt(IP(src=a.us, dst=a.de, options=b"\x01\x01\x01\x00") / ICMP(), t + 3), ("transit", 14 + 24 + 8)),
            (pkt(IPv6(src=a.us6, dst=a.de6) / UDP(sport=1000, dport=2000), t + 4), ("transit", 14 + 40 + 8)),
            (pkt(IP(src=a.de, dst=a.operator) / TCP(sport=50000, dport=502), t + 5), ("operator", 54)),
            (pkt(IP(src=a.indicator, dst=a.jp) / TCP(sport=6667, dport=50001), t + 6), ("threat-linked", 54)),
            (pkt(IP(src=a.jp, dst=a.indicator) / TCP(sport=50001, dport=6667), t + 7), ("threat-linked", 54)),
            (pkt(IP(src=a.us, dst=a.de) / TCP(sport=40001, dport=25), t + 8), "excluded_port"),
            (pkt(IP(src=a.de, dst=a.us) / TCP(sport=993, dport=40002), t + 9), "excluded_port"),
            (pkt(IP(src=a.us, dst=a.jp) / TCP(sport=40003, dport=443), t + 10), "no_rule"),
            (pkt(IP(src=a.jp, dst=a.jp2) / TCP(sport=40004, dport=443), t + 11), "domestic_domestic"),
            (pkt(IP(src=a.jp, dst=a.operator) / TCP(sport=40005, dport=443), t + 12), "domestic_domestic"),
            (pkt(IP(src="10.1.2.3", dst=a.us) / TCP(sport=40006, dport=443), t + 13), "special_address"),
            (pkt(IP(src=a.us, dst="224.0.0.251") / UDP(sport=5353, dport=5353), t + 14), "special_address"),
            # A first fragment carries the ports and is judged by them; later fragments carry none.
            (pkt(IP(src=a.us, dst=a.de, flags="MF", frag=0, id=7) / UDP(sport=1111, dport=2222, len=1008), t + 15, PAYLOAD * 2),
             ("transit", 42)),
            (pkt(IP(src=a.us, dst=a.de, frag=125, id=7, proto=17), t + 16), "fragment_no_ports"),
            (pkt(IPv6(src=a.us6, dst=a.de6) / IPv6ExtHdrFragment(offset=100, m=0, id=9, nh=17), t + 17), "fragment_no_ports"),
            (pkt(ARP(psrc=a.us, pdst=a.de), t + 18, b""), "not_ip"),
            (pkt(IP(src=a.us, dst=a.de, ihl=4) / TCP(sport=1, dport=2), t + 19), "anomaly_ipv4_bad_ihl"),
            (pkt(IP(src=a.us, dst=a.de) / TCP(sport=40007, dport=443), t - 365 * 86400), "unauthorised"),
            (pkt(IP(src=a.us, dst=a.de) / TCP(sport=40008, dport=443), 1798761600), "unauthorised"),  # 2027-01-01: until is exclusive
        ]
        frames = [c[0] for c in cases]
        path = os.path.join(workdir, "crafted.pcap")
        wrpcap(path, frames, nano=True)
        return path, cases

    def test_every_frame_gets_its_exact_verdict(self):
        with fr.tmpdir() as d:
            cap, cases = self.craft(d)
            r = fr.run(policy(d), [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            expected_records = [(i, c[1]) for i, c in enumerate(cases) if isinstance(c[1], tuple)]
            recs = fr.records(r.output)
            self.assertEqual(len(recs), len(expected_records))
            # Records keep input order (one worker, one input): compare one by one.
            for (i, (category, header_len)), (t_ns, wire, cap_len, comment) in zip(expected_records, recs):
                frame = cases[i][0]
                with self.subTest(frame=i):
                    self.assertEqual(t_ns, int(frame.time) * 10**9)
                    self.assertEqual(cap_len, header_len, "record must hold exactly the headers")
                    self.assertEqual(wire, len(frame))
                    f = fr.comment_fields(comment)
                    self.assertEqual(f["category"], category)
                    self.assertIn(f["auth"], {"transit": "APP-T", "operator": "CON-P", "threat-linked": "APP-X"}[category])
                    if category == "threat-linked":
                        self.assertIn("indicator", f)
            drops = {}
            for _, c in cases:
                if not isinstance(c, tuple):
                    drops[c] = drops.get(c, 0) + 1
            for reason, n in drops.items():
                self.assertEqual(r.count(reason), n, reason)
            self.assertEqual(r.count("received"), len(cases))
            self.assertEqual(r.count("accounted (emitted + dropped)"), len(cases))
            self.assertEqual(r.count("exporter written"), len(expected_records))

    def test_captures_of_other_link_types_get_the_same_verdicts_behind_an_ethernet_header(self):
        """The crafted frames re-captured as on a Linux "any" interface (SLL), a BSD loopback (null),
        a raw IP link and a PPP link: every frame that link can carry gets its Ethernet verdict, and
        each record is a 14-byte Ethernet header (the link's EtherType; SLL's source address) then
        the capture's own bytes from the IP header on, up to the same header end."""
        def relink(frame, linktype):
            etype, rest = struct.unpack(">H", frame[12:14])[0], frame[14:]
            ip = etype in (0x0800, 0x86DD)
            if linktype == 113:
                return struct.pack(">HHH8sH", 0, 1, 6, frame[6:12] + bytes(2), etype) + rest
            if not ip:
                return None  # ARP, a VLAN tag: these links carry IP alone
            if linktype == 0:
                return struct.pack("<I", 2 if etype == 0x0800 else 30) + rest  # a little-endian macOS writer
            if linktype == 101:
                return rest
            return b"\xff\x03" + struct.pack(">H", 0x21 if etype == 0x0800 else 0x57) + rest  # PPP

        with fr.tmpdir() as d:
            _, cases = self.craft(d)
            for linktype in (113, 0, 101, 9):
                with self.subTest(linktype=linktype):
                    kept = [(bytes(c[0]), int(c[0].time), c[1]) for c in cases if relink(bytes(c[0]), linktype)]
                    self.assertGreater(len(kept), 15)
                    path = os.path.join(d, f"link{linktype}.pcap")
                    w = RawPcapWriter(path, linktype=linktype, nano=True, sync=True)
                    w.write_header(None)
                    for frame, t, _ in kept:
                        data = relink(frame, linktype)
                        # Snapped 7 bytes short: the record's original length keeps them.
                        w.write_packet(data, sec=t, usec=0, caplen=len(data), wirelen=len(data) + 7)
                    w.close()
                    out = os.path.join(d, f"out{linktype}.pcap")
                    r = fr.run(policy(d, fmt="pcap"), [path], output=out)
                    self.assertEqual(r.rc, 0, r.stderr)
                    emitted = [(frame, v) for frame, _, v in kept if isinstance(v, tuple)]
                    recs = fr.records(out)
                    self.assertEqual(len(recs), len(emitted))
                    reader = RawPcapReader(out)
                    self.assertEqual(reader.linktype, 1)
                    for (frame, (category, header_len)), (_, wire, cap_len, _), (data, _) in zip(emitted, recs, reader):
                        self.assertEqual(cap_len, header_len)
                        self.assertEqual(wire, len(frame) + 7)
                        self.assertEqual(data[14:], frame[14:header_len])
                        self.assertEqual(data[12:14], frame[12:14])
                        self.assertEqual(data[6:12], frame[6:12] if linktype == 113 else bytes(6))
                    reader.close()
                    drops = collections.Counter(v for _, _, v in kept if not isinstance(v, tuple))
                    for reason, n in drops.items():
                        self.assertEqual(r.count(reason), n, reason)
                    self.assertEqual(r.count("received"), len(kept))
                    with open(out, "rb") as f:
                        self.assertNotIn(fr.MARKER[:8], f.read())

    def test_a_capture_of_a_link_type_the_replay_cannot_read_is_refused_by_run_and_check_config(self):
        with fr.tmpdir() as d:
            path = os.path.join(d, "wifi.pcap")
            w = RawPcapWriter(path, linktype=105, sync=True)  # 802.11: no IP header at a fixed place
            w.write_header(None)
            w.write_packet(bytes(40), sec=T0, usec=0)
            w.close()
            r = fr.run(policy(d), [path])
            self.assertEqual(r.rc, 1)
            self.assertIn(path, r.stderr)
            self.assertIn("link type", r.stderr)
            self.assertIn("(105) is not one the replay reads", r.stderr)
            # check-config looks at the config's captures as run does: a link type it does not take
            # and captures with no packet at all are refused, one cut inside its last record warned about.
            sll = os.path.join(fr.ROOT, "tests", "data", "pcap", "ipv4", "tcp-handshake-nanosecond.pcap")
            with open(sll, "rb") as f:
                data = f.read()
            cut, empty = os.path.join(d, "cut.pcap"), os.path.join(d, "empty.pcap")
            with open(cut, "wb") as f:
                f.write(data[:-5])
            with open(empty, "wb") as f:
                f.write(data[:24])
            gz = os.path.join(d, "capture.pcap.gz")
            with gzip.open(gz, "wb") as f:
                f.write(data)
            untimed = os.path.join(d, "untimed.pcap")  # as libpcap gives pcapng's Simple Packet Blocks
            w = RawPcapWriter(untimed, linktype=1, sync=True)
            w.write_header(None)
            w.write_packet(bytes(pkt(IP(src="192.0.2.1", dst="192.0.2.2") / TCP(), 0)), sec=0, usec=0)
            w.write_packet(bytes(pkt(IP(src="192.0.2.1", dst="192.0.2.2") / TCP(), 0)), sec=T0, usec=0)
            w.close()
            for inputs, rc, text in (
                    ([sll], 0, f"input {sll}: 3 packets, link type LINUX_SLL (113), replayed behind an Ethernet header"),
                    ([sll, path], 1, f"{path}: link type IEEE802_11 (105) is not one the replay reads"),
                    ([cut], 0, f"warning: {cut}: unreadable after packet 2"),
                    ([empty], 1, f"input: the captures hold no packets ({empty})"),
                    ([gz], 1, f"{gz}: cannot read capture: it is gzip-compressed; decompress it first (gunzip)"),
                    ([untimed], 0, f"warning: {untimed}: 1 of its 2 packets carry no capture time (time 0, as pcapng "
                                   "Simple Packet Blocks): they are judged at 1970-01-01T00:00:00Z (dpdk.time_source: "
                                   "clock judges every packet at the host clock instead)")):
                with self.subTest(inputs=inputs):
                    cfg = with_config(policy(d), input={"pcap": inputs})
                    p = subprocess.run([fr.FLOWSIEVE, "check-config", cfg], capture_output=True, text=True)
                    self.assertEqual(p.returncode, rc, p.stderr)
                    self.assertIn(text, p.stdout + p.stderr)
            # Judged at the host clock, packets without a capture time need no warning.
            cfg = with_config(policy(d), input={"pcap": [untimed]}, dpdk={"time_source": "clock"})
            p = subprocess.run([fr.FLOWSIEVE, "check-config", cfg], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn("no capture time", p.stdout + p.stderr)
            # libpcap reads "-" as standard input, which the replay could not read a second time.
            r = fr.run(policy(d), ["-"])
            self.assertEqual(r.rc, 1)
            self.assertIn("-: standard input is not a file: a capture is read twice (counted, then replayed)", r.stderr)

    def test_a_net_pcap_vdev_reading_another_link_type_is_refused(self):
        """net_pcap hands frames on as they are: a Linux cooked capture there would be parsed as if
        it were Ethernet, so the port is refused, however the EAL was told of the device."""
        sll = os.path.join(fr.ROOT, "tests", "data", "pcap", "ipv4", "tcp-handshake-nanosecond.pcap")
        with fr.tmpdir() as d:
            for eal in ([f"--vdev=net_pcap0,rx_pcap={sll}"], ["-a", f"net_pcap0,rx_pcap={sll}"]):
                with self.subTest(eal=eal[0]):
                    cfg = policy(d)
                    with open(cfg) as f:
                        dpdk = json.load(f).get("dpdk", {})
                    r = fr.run(with_config(cfg, dpdk=dict(dpdk, eal=eal)), [])
                    self.assertEqual(r.rc, 1, r.stderr)
                    self.assertIn(f"(net_pcap0): rx_pcap={sll}: link type LINUX_SLL (113) is not Ethernet", r.stderr)
                    self.assertIn("give the capture as input.pcap", r.stderr)
                    self.assertEqual(r.count("received"), 0)

    def test_captures_with_a_list_of_ports_to_poll_are_refused(self):
        """Captures are replayed through ports of their own, which dpdk.ports (the ports to poll)
        leaves out: the captures' packets were never read and the run exited 0. Refused instead,
        whether the captures come from the file or from --input."""
        mawi = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")
        with fr.tmpdir() as d:
            cfg = policy(d)
            with open(cfg) as f:
                dpdk = json.load(f).get("dpdk", {})
            with_config(cfg, dpdk=dict(dpdk, eal=[f"--vdev=net_pcap0,rx_pcap={mawi}"], ports=[{"device": "net_pcap0"}]))
            r = fr.run(cfg, [mawi])
            self.assertEqual(r.rc, 1, r.stderr)
            self.assertIn(f"--input: cannot be combined with dpdk.ports of {cfg} (captures are replayed", r.stderr)
            self.assertEqual(r.count("received"), 0)
            with_config(cfg, input={"pcap": [mawi]})
            p = subprocess.run([fr.FLOWSIEVE, "check-config", cfg], capture_output=True, text=True)
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn("dpdk.ports: cannot be combined with input.pcap", p.stderr)

    def test_a_pool_the_workers_caches_could_drain_is_refused_before_replaying(self):
        """The replay's feeder allocates from the shared pool, which a worker's per-lcore cache (up to
        1.5 x dpdk.mbuf_cache) can drain: with 384 mbufs and the default cache of 256 an offline run
        read 384 packets of 10000, waited 5 s and exited 0. check-config cannot know the workers (it
        refuses a config's input.pcap with a pool too small for one; here the capture is --input);
        run refuses before reading anything."""
        mawi = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")
        with fr.tmpdir() as d:
            cfg = policy(d)
            with open(cfg) as f:
                dpdk = json.load(f).get("dpdk", {})
            with_config(cfg, dpdk=dict(dpdk, mbufs=500))  # one capture: one replay port, one worker
            r = fr.run(cfg, [mawi])
            self.assertEqual(r.rc, 1, r.stderr)
            self.assertIn("dpdk.mbufs: 500 mbufs are too few to replay captures with 1 worker(s), whose caches "
                          "(dpdk.mbuf_cache 256) can hold 384 of them: give more than 512, or a smaller cache", r.stderr)
            with_config(cfg, dpdk=dict(dpdk, mbufs=513))
            r = fr.run(cfg, [mawi])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertEqual(r.count("received"), 10000)

    def test_captures_beside_a_busy_port_end_when_the_replay_ends(self):
        """Offline completion is judged by the replays alone: beside a dpdk.eal vdev that never stops
        (infinite_rx), a run waited for idle workers for ever; its packets also reset the stall timer."""
        mawi = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")
        with fr.tmpdir() as d:
            cfg = policy(d)
            with open(cfg) as f:
                dpdk = json.load(f).get("dpdk", {})
            with_config(cfg, dpdk=dict(dpdk, mbufs=32767, eal=[f"--vdev=net_pcap0,rx_pcap={mawi},infinite_rx=1"]))
            r = fr.run(cfg, [mawi], timeout=120)
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertGreater(r.count("received"), 10000, "the replay's packets and the vdev's")
            self.assertEqual(r.count("received"), r.count("accounted (emitted + dropped)"))

    @unittest.skipUnless(os.geteuid() == 0 and os.path.exists("/dev/net/tun"), "net_tap needs root and /dev/net/tun")
    def test_the_pool_check_counts_what_other_ports_hold(self):
        """A net_tap vdev beside the captures fills its receive ring when it starts (1023 mbufs) and
        keeps it: with 1400 mbufs the replay stalled at 378 of 10000 packets. Counted now."""
        mawi = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")
        with fr.tmpdir() as d:
            cfg = policy(d)
            with open(cfg) as f:
                dpdk = json.load(f).get("dpdk", {})
            tap = [f"--vdev=net_tap_fs{os.getpid()},iface=fstap{os.getpid() % 100000}"]
            with_config(cfg, dpdk=dict(dpdk, mbufs=1400, eal=tap))
            r = fr.run(cfg, [mawi])
            self.assertEqual(r.rc, 1, r.stderr)
            self.assertRegex(r.stderr, r"dpdk\.mbufs: 1400 mbufs are too few to replay captures with 1 worker\(s\), whose "
                                       r"caches \(dpdk\.mbuf_cache 256\) can hold 384 of them, beside the [1-9]\d* the "
                                       r"ports' receive rings hold")
            with_config(cfg, dpdk=dict(dpdk, mbufs=4095, eal=tap))
            r = fr.run(cfg, [mawi])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertGreaterEqual(r.count("received"), 10000, "every replayed packet (and what the tap brought)")

    def test_output_holds_headers_only_and_marker_never_leaves(self):
        with fr.tmpdir() as d:
            cap, _ = self.craft(d)
            for fmt in ("pcapng", "pcap"):
                out = os.path.join(d, "out." + fmt)
                r = fr.run(policy(d, fmt=fmt), [cap], output=out)
                self.assertEqual(r.rc, 0, r.stderr)
                with open(out, "rb") as f:
                    data = f.read()
                self.assertGreater(r.emitted(), 0)
                self.assertNotIn(fr.MARKER[:8], data, fmt)

    def test_headers_longer_than_a_record_holds_are_cut_and_marked(self):
        # 14 + 40 + a 136-byte hop-by-hop header + 20 of TCP: 210 header bytes, 192 kept. The comment
        # says so (tshark would otherwise call the cut TCP header malformed, with nothing to tell why).
        from scapy.layers.inet6 import IPv6ExtHdrHopByHop, PadN
        with fr.tmpdir() as d:
            a = Addresses()
            long_one = pkt(IPv6(src=a.us6, dst=a.de6) / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 132)]) /
                           TCP(sport=40001, dport=443), T0)
            short_one = pkt(IPv6(src=a.us6, dst=a.de6) / TCP(sport=40002, dport=443), T0 + 1)
            cap = os.path.join(d, "long.pcap")
            wrpcap(cap, [long_one, short_one], nano=True)
            r = fr.run(policy(d), [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            recs = fr.records(r.output)
            self.assertEqual([cap_len for _, _, cap_len, _ in recs], [192, 74])
            self.assertEqual(fr.comment_fields(recs[0][3]).get("headers_cut"), "yes")
            self.assertNotIn("headers_cut", fr.comment_fields(recs[1][3]))

    def test_outside_the_window_nothing_is_emitted(self):
        with fr.tmpdir() as d:
            cap, cases = self.craft(d)
            for frm, until in (("2027-06-01T00:00:00Z", "2028-01-01T00:00:00Z"),   # not yet valid
                               ("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z")):  # expired
                r = fr.run(policy(d, frm, until), [cap])
                self.assertEqual(r.rc, 0, r.stderr)
                self.assertEqual(r.emitted(), 0)
                self.assertEqual(fr.records(r.output), [])
                # Every frame a rule would have selected is now refused as unauthorised.
                would_emit = sum(isinstance(c[1], tuple) for c in cases) + 2
                self.assertEqual(r.count("unauthorised"), would_emit)

    def test_domestic_pair_cannot_be_configured(self):
        with fr.tmpdir() as d:
            auths = [fr.authorisation("APP-D", "approval", "threat-linked", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
                                      scope={"indicator_sets": ["ipsum"]})]
            for between in (["domestic", "domestic"], ["domestic", "operator:power"]):
                rules = [{"id": "dd", "category": "threat-linked", "between": between, "indicator_sets": ["ipsum"],
                          "authorisation": "APP-D"}]
                cfg = fr.base_config(d, auths, rules,
                                     indicators=[{"name": "ipsum", "file": os.path.join(fr.INDICATORS, "ipsum-level3.txt")}],
                                     operators=[{"id": "power", "prefixes": ["27.113.248.0/22"]}])
                p = subprocess.run([fr.FLOWSIEVE, "check-config", cfg], capture_output=True, text=True)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("rules[0].between: domestic-to-domestic traffic is never in scope", p.stderr)

    def test_a_capture_cut_short_is_filtered_up_to_the_cut(self):
        # A capture whose writer was killed ends inside a record: the packets before it are filtered
        # (it was refused whole once), the run says where it stopped, and the rest is not made up.
        with fr.tmpdir() as d:
            cap, cases = self.craft(d)
            with open(cap, "rb") as f:
                data = f.read()
            with open(cap, "wb") as f:
                f.write(data[:-10])  # the last frame's record loses its last 10 bytes
            r = fr.run(policy(d), [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            kept = len(cases) - 1
            self.assertIn(f"unreadable after packet {kept} (", r.stderr)
            self.assertEqual(r.count("received"), kept)
            self.assertEqual(r.count("accounted (emitted + dropped)"), kept)
            want = sum(isinstance(c[1], tuple) for c in cases[:kept])
            self.assertEqual(len(fr.records(r.output)), want)
            # Nothing readable at all is still an error.
            with open(cap, "wb") as f:
                f.write(data[:24 + 16 + 5])
            r = fr.run(policy(d), [cap])
            self.assertEqual(r.rc, 1)
            self.assertIn(cap + ": cannot read its first packet: ", r.stderr)

    def test_record_names_an_indicator_of_the_rules_own_sets(self):
        # Three sets in config order: a decoy the rule does not require, listed first (the lowest
        # indicator indices) and more specifically, then the rule's two. Every record must name the
        # most specific indicator among the rule's own sets for the foreign end (else the domestic
        # one), never the decoy's, in both directions of each flow.
        a = self.a
        jp6 = fr.world().address_in("JP", 6)
        net = lambda addr, bits: str(ipaddress.ip_network(f"{addr}/{bits}", strict=False))
        sets = {
            "decoy": [("DECOY-A", a.us), ("DECOY-B", a.de), ("DECOY-J", a.jp), ("DECOY-A6", a.us6)],
            "wide": [("WIDE-A", net(a.us, 24)), ("WIDE-B", net(a.de, 24)), ("WIDE-J", a.jp), ("WIDE-A6", net(a.us6, 48))],
            "narrow": [("NARROW-A", a.us)],
        }
        flows = [(a.us, a.jp, "NARROW-A"),   # a tie at the exact address: the rule's set, not the decoy
                 (a.de, a.jp, "WIDE-B"),     # the decoy's exact entry is more specific, but not the rule's
                 (a.cn, a.jp, "WIDE-J"),     # the foreign end is not listed: the domestic end's
                 (a.us6, jp6, "WIDE-A6")]
        with fr.tmpdir() as d:
            indicators = []
            for name, rows in sets.items():
                path = os.path.join(d, name + ".csv")
                with open(path, "w") as f:
                    f.write("id,value\n" + "".join(f"{i},{v}\n" for i, v in rows))
                indicators.append({"name": name, "file": path, "format": "csv"})
            auths = [fr.authorisation("APP-X", "approval", "threat-linked", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
                                      scope={"indicator_sets": ["wide", "narrow"]})]
            rules = [{"id": "threat", "category": "threat-linked", "between": ["foreign", "domestic"],
                      "indicator_sets": ["wide", "narrow"], "authorisation": "APP-X"}]
            cfg = fr.base_config(d, auths, rules, indicators=indicators)
            frames, want = [], []
            for k, (foreign, domestic, indicator) in enumerate(flows):
                ip = IP if ":" not in foreign else IPv6
                for j, (src, dst, sport, dport) in enumerate(((foreign, domestic, 443, 41000 + k), (domestic, foreign, 41000 + k, 443))):
                    frames.append(pkt(ip(src=src, dst=dst) / TCP(sport=sport, dport=dport), T0 + 2 * k + j))
                    want.append(indicator)
            cap = os.path.join(d, "named.pcap")
            wrpcap(cap, frames, nano=True)
            r = fr.run(cfg, [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            named = [fr.comment_fields(c).get("indicator") for *_, c in fr.records(r.output)]
            self.assertEqual(named, want)

    def test_records_keep_capture_time_not_the_clock(self):
        with fr.tmpdir() as d:
            cap, cases = self.craft(d)
            r = fr.run(policy(d), [cap])
            times = [t for t, *_ in fr.records(r.output)]
            self.assertTrue(all(T0 * 10**9 <= t < (T0 + 100) * 10**9 for t in times))

    def test_a_classic_pcap_time_past_2038_is_read_as_written(self):
        # Classic pcap keeps a record's seconds in 32 unsigned bits; libpcap sign-extends them, and
        # a packet of 2038-01-19T03:31:48Z was judged at 1901 (unauthorised under a 2038 window).
        t = 2**31 + 1000
        a = Addresses()
        with fr.tmpdir() as d:
            cap = os.path.join(d, "y2038.pcap")
            wrpcap(cap, [pkt(IP(src=a.us, dst=a.de) / TCP(sport=40000, dport=443), t)])
            r = fr.run(policy(d, auth_from="2038-01-01T00:00:00Z", auth_until="2039-01-01T00:00:00Z"), [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertEqual(r.count("transit"), 1, r.stdout)
            self.assertEqual([rec[0] for rec in fr.records(r.output)], [t * 10**9])
            # A pcapng time is 64 bits wide: negative only from a negative if_tsoffset (before 1970),
            # which is judged at 1970, not read as a classic pcap's unsigned seconds (2106).
            ng = os.path.join(d, "negative.pcapng")
            frame = bytes(pkt(IP(src=a.us, dst=a.de) / TCP(sport=40000, dport=443), 0))

            def block(kind, body):
                body += b"\0" * (-len(body) % 4)
                return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
            with open(ng, "wb") as f:
                f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)) +
                        block(1, struct.pack("<HHI", 1, 0, 65535) + struct.pack("<HHq", 14, 8, -100) + bytes(4)) +
                        block(6, struct.pack("<IIIII", 0, 0, 5 * 10**6, len(frame), len(frame)) + frame))
            r = fr.run(policy(d, auth_from="2100-01-01T00:00:00Z", auth_until="2200-01-01T00:00:00Z"), [ng])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertEqual((r.count("transit"), r.count("unauthorised")), (0, 1), r.stdout)


if __name__ == "__main__":
    unittest.main()
