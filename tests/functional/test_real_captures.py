# test_real_captures.py: the real binary on every real capture in tests/data/pcap, with the real world
# table and a real indicator feed, checked record by record against reference_model.py.
import collections
import glob
import ipaddress
import os
import struct
import unittest

from scapy.utils import RawPcapReader

import flowsieve_run as fr
import reference_model as ref

FROM, UNTIL = "2000-01-01T00:00:00Z", "2030-01-01T00:00:00Z"
FROM_NS, UNTIL_NS = 946684800 * 10**9, 1893456000 * 10**9
OPERATOR_NETS = ["27.113.248.0/22", "2001:240:142c::/48"]


def as_ethernet(linktype, frame):
    """The frame as the replay hands it to the data path: other link layers' headers replaced by an
    Ethernet header (zero addresses here: they play no part in the policy). Written from tcpdump's
    link-layer header types page, apart from flowsieve's parse/link_header.cpp."""
    def eth(ethertype, rest):
        return bytes(12) + struct.pack(">H", ethertype) + rest
    if linktype == 1:
        return frame
    if linktype in (228, 229):
        return eth(0x0800 if linktype == 228 else 0x86DD, frame)
    if linktype in (12, 101):
        return eth(0x86DD if frame and frame[0] >> 4 == 6 else 0x0800, frame)
    if linktype in (0, 108):
        if len(frame) < 4:
            return b""
        family = struct.unpack(">I", frame[:4])[0]
        if linktype == 0 and family > 0xFFFF:
            family = struct.unpack("<I", frame[:4])[0]
        return eth({2: 0x0800, 24: 0x86DD, 28: 0x86DD, 30: 0x86DD}.get(family, 0), frame[4:])
    if linktype == 113:
        return eth(struct.unpack(">H", frame[14:16])[0], frame[16:]) if len(frame) >= 16 else b""
    if linktype == 9:
        rest = frame[2:] if frame[:2] == b"\xff\x03" else frame
        if rest and rest[0] & 1:
            proto, rest = rest[0], rest[1:]
        elif len(rest) >= 2:
            proto, rest = struct.unpack(">H", rest[:2])[0], rest[2:]
        else:
            return b""
        return eth({0x21: 0x0800, 0x57: 0x86DD}.get(proto, 0), rest)
    raise AssertionError(f"link type {linktype}: no conversion here")


def read_frames(path):
    reader = RawPcapReader(path)
    linktype = reader.linktype & 0x03FFFFFF  # libpcap's mask: the FCS bits off
    scale = 1 if getattr(reader, "nano", False) else 1000
    frames = [(as_ethernet(linktype, data), meta.sec * 10**9 + meta.usec * scale) for data, meta in reader]
    reader.close()
    return frames


def load_indicators(path):
    singles, nets = set(), []
    with open(path) as f:
        for line in f:
            s = line.split("#")[0].strip().split()
            if not s:
                continue
            try:
                n = ipaddress.ip_network(s[0], strict=False)
            except ValueError:
                continue
            if n.num_addresses == 1:
                singles.add(n.network_address)
            else:
                nets.append(n)
    return lambda a: a in singles or any(a in n for n in nets)


class RealCaptures(unittest.TestCase):
    def test_every_real_capture_matches_the_reference_model(self):
        captures = []
        for path in sorted(glob.glob(os.path.join(fr.ROOT, "tests", "data", "pcap", "*", "*.pcap"))):
            frames = read_frames(path)
            if frames:
                captures.append((path, frames))
        self.assertGreater(len(captures), 10)

        sets = {"ipsum": load_indicators(os.path.join(fr.INDICATORS, "ipsum-level3.txt")),
                "scanners": load_indicators(os.path.join(fr.INDICATORS, "maltrail-mass-scanner-cidr.txt"))}
        window = (FROM_NS, UNTIL_NS)
        model = ref.Policy(fr.world(), ["JP"], OPERATOR_NETS, sets,
                           [("transit", "foreign", [], window), ("operator", "operator", [], window),
                            ("threat-linked", "domestic", ["ipsum", "scanners"], window)])

        expected, abstained_times = collections.Counter(), collections.Counter()
        drops, abstained = collections.Counter(), 0
        for _, frames in captures:
            for data, t in frames:
                v = model.decide(data, t)
                if v is None:
                    abstained += 1
                    abstained_times[t] += 1
                elif v[0] == "emit":
                    expected[(t, v[1], v[2])] += 1
                else:
                    drops[v[1]] += 1
        total = sum(len(f) for _, f in captures)
        self.assertLess(abstained, total * 0.05, "the model should judge nearly every real packet")
        self.assertGreater(sum(expected.values()), 100)

        with fr.tmpdir() as d:
            auths = [fr.authorisation("APP-T", "approval", "transit", FROM, UNTIL),
                     fr.authorisation("CON-P", "consent", "operator", FROM, UNTIL, scope={"operator": "power"}),
                     fr.authorisation("APP-X", "approval", "threat-linked", FROM, UNTIL,
                                      scope={"indicator_sets": ["ipsum", "scanners"]})]
            rules = [{"id": "t", "category": "transit", "between": ["foreign", "foreign"], "authorisation": "APP-T"},
                     {"id": "p", "category": "operator", "between": ["foreign", "operator:power"], "authorisation": "CON-P"},
                     {"id": "x", "category": "threat-linked", "between": ["foreign", "domestic"],
                      "indicator_sets": ["ipsum", "scanners"], "authorisation": "APP-X"}]
            cfg = fr.base_config(d, auths, rules,
                                 indicators=[{"name": n, "file": os.path.join(fr.INDICATORS, f)} for n, f in
                                             (("ipsum", "ipsum-level3.txt"), ("scanners", "maltrail-mass-scanner-cidr.txt"))],
                                 operators=[{"id": "power", "prefixes": OPERATOR_NETS}])
            r = fr.run(cfg, [p for p, _ in captures], timeout=300)
            self.assertEqual(r.rc, 0, r.stderr)
            actual = collections.Counter()
            for t, _, cap_len, comment in fr.records(r.output):
                actual[(t, fr.comment_fields(comment)["category"], cap_len)] += 1

        missing = expected - actual
        self.assertEqual(missing, collections.Counter(), "records the model expects but flowsieve did not emit")
        extra = actual - expected
        unexplained = [k for k in extra.elements() if abstained_times[k[0]] == 0]
        self.assertEqual(unexplained, [], "records the model says must not be emitted")
        self.assertEqual(r.count("received"), total)
        for reason, n in drops.items():
            with self.subTest(reason=reason):
                self.assertGreaterEqual(r.count(reason), n)
                self.assertLessEqual(r.count(reason), n + abstained)


if __name__ == "__main__":
    unittest.main()
