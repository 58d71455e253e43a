# test_malformed_corpus.py: one capture per class of bad input (built with scapy), each run through
# the real binary with the exact counters expected: a named anomaly, a drop reason, or (for odd but
# legal packets) emission of the headers only. Every packet between two real foreign addresses, so
# anything well-formed would be emitted as transit.
import os
import struct
import unittest

from scapy.all import GRE, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, IPv6, Raw, wrpcap
from scapy.layers.inet6 import IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting

import flowsieve_run as fr

T0 = 1780272000  # 2026-06-01, inside the window
PAY = fr.MARKER * 4


def eth():
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


class MalformedCorpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        w = fr.world()
        cls.a, cls.b = w.address_in("US"), w.address_in("DE")
        cls.a6, cls.b6 = w.address_in("US", 6), w.address_in("DE", 6)

    def v4(self, **kw):
        return IP(src=self.a, dst=self.b, **kw)

    def v6(self, **kw):
        return IPv6(src=self.a6, dst=self.b6, **kw)

    def cases(self):
        """name -> (frames as bytes, expected counters, expected record lengths)."""
        tcp = TCP(sport=40000, dport=443)
        ok_v4 = bytes(eth() / self.v4() / tcp / Raw(PAY))
        c = {}
        c["shorter than Ethernet"] = ([ok_v4[:n] for n in (0, 1, 6, 13)], {"anomaly_eth_truncated": 4}, [])
        five = eth() / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / Dot1Q(vlan=4) / Dot1Q(vlan=5) / self.v4() / tcp
        four = eth() / Dot1AD(vlan=1) / Dot1Q(vlan=2) / Dot1Q(vlan=3) / Dot1Q(vlan=4) / self.v4() / tcp / Raw(PAY)
        cut_tag = bytes(eth() / Dot1Q(vlan=7) / self.v4() / tcp)[:16]
        c["VLAN stacks"] = ([bytes(five), bytes(four), cut_tag],
                            {"anomaly_vlan_too_deep": 1, "anomaly_vlan_truncated": 1, "transit": 1}, [14 + 16 + 40])
        c["IPv4 IHL < 5"] = ([bytes(eth() / self.v4(ihl=i) / tcp) for i in (0, 3, 4)], {"anomaly_ipv4_bad_ihl": 3}, [])
        # Total length: below the header is an anomaly; below the capture means padding (not copied);
        # above the capture is a snapped packet (headers still complete).
        small = bytes(eth() / self.v4(len=12) / tcp)
        padded = bytes(eth() / self.v4() / tcp) + b"\x00" * 6 + PAY
        snapped = bytes(eth() / self.v4(len=1500) / tcp / Raw(PAY))
        c["IPv4 total length"] = ([small, padded, snapped], {"anomaly_ipv4_bad_total_length": 1, "transit": 2}, [54, 54])
        c["IPv4 bad options"] = ([bytes(eth() / self.v4(options=b"\x44\x10\x05\x00") / tcp),
                                  bytes(eth() / self.v4(options=b"\x07\x00\x00\x00") / tcp)],
                                 {"anomaly_ipv4_bad_options": 2}, [])
        hbh_cut = bytes(eth() / self.v6() / IPv6ExtHdrHopByHop() / tcp)[:14 + 40 + 1]
        dup_hbh = eth() / self.v6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrHopByHop() / tcp
        three_dst = eth() / self.v6() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / tcp
        c["IPv6 extension chains"] = ([hbh_cut, bytes(dup_hbh), bytes(three_dst)],
                                      {"anomaly_ipv6_ext_truncated": 1, "anomaly_ipv6_ext_duplicate": 2}, [])
        # Nine extension headers, none repeated beyond its RFC 8200 limit: only the length is wrong.
        chain_types = [0, 60, 43, 44, 51, 60, 135, 139, 140]
        chain = b""
        for i, t in enumerate(chain_types):
            following = chain_types[i + 1] if i + 1 < len(chain_types) else 6
            # 8 bytes each; the AH 16 ((2 + 2) * 4: its 12 fixed bytes, 8-byte aligned)
            chain += bytes([following, 2]) + b"\x00" * 14 if t == 51 else bytes([following, 0]) + b"\x00" * 6
        v6 = bytes(self.v6(nh=0, plen=len(chain) + 20))
        c["IPv6 chain too long"] = ([bytes(eth() / self.v6(nh=0, plen=len(chain) + 20))[:14] + v6 + chain + bytes(tcp)], {"anomaly_ipv6_ext_chain_too_long": 1}, [])
        # An unknown next header ends the chain: no L4 to read, the record stops at the IPv6 header.
        c["IPv6 unknown next header"] = ([bytes(eth() / self.v6(nh=99) / Raw(PAY))], {"transit": 1}, [54])
        # Fragments: a first fragment too short for its TCP header; an overlapping later fragment.
        tiny_first = bytes(eth() / self.v4(flags="MF", proto=6) / Raw(bytes(tcp)[:8]))
        overlap = bytes(eth() / self.v4(frag=1, proto=6) / Raw(b"\x00" * 16))
        frag_25 = bytes(eth() / self.v4(frag=100, proto=6) / Raw(bytes(TCP(sport=40000, dport=25)) + PAY))
        v6_frag = bytes(eth() / self.v6() / IPv6ExtHdrFragment(offset=3, m=1, nh=6) / Raw(PAY))
        c["fragments"] = ([tiny_first, overlap, frag_25, v6_frag],
                          {"anomaly_fragment_too_small": 1, "fragment_no_ports": 3}, [])
        c["TCP data offset < 5"] = ([bytes(eth() / self.v4() / TCP(sport=1, dport=2, dataofs=d)) for d in (0, 4)],
                                    {"anomaly_tcp_bad_data_offset": 2}, [])
        udp_long = bytes(eth() / self.v4() / UDP(sport=53, dport=5353, len=200) / Raw(PAY))
        udp_tiny = bytes(eth() / self.v4() / UDP(sport=53, dport=5353, len=4) / Raw(PAY))
        udp_short = bytes(eth() / self.v4() / UDP(sport=53, dport=5353, len=12) / Raw(PAY))
        c["UDP length"] = ([udp_long, udp_tiny, udp_short], {"anomaly_udp_bad_length": 2, "transit": 1}, [42])
        # An ICMP error quotes another packet (here one to port 25): only the 8-byte ICMP header leaves.
        quoted = self.v4() / TCP(sport=40000, dport=25) / Raw(PAY)
        c["ICMP error quoting a packet"] = ([bytes(eth() / self.v4() / ICMP(type=3, code=1) / quoted)],
                                            {"transit": 1}, [14 + 20 + 8])
        gre = eth() / self.v4() / GRE() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=25) / Raw(PAY)
        ipip = eth() / self.v4() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=25) / Raw(PAY)
        c["GRE and IP-in-IP"] = ([bytes(gre), bytes(ipip)], {"transit": 2}, [34, 34])
        # IPv4 transport-mode AH (RFC 4302, 24 bytes here): walked like IPv6's, so e-mail behind it is
        # excluded; HTTPS behind it leaves with the AH and the TCP header; AH behind AH and a cut AH
        # are anomalies.
        def ah(nh, words=4):
            return bytes([nh, words]) + b"\x00\x00" + struct.pack("!II", 0x1000, 7) + b"\xA5" * ((words + 2) * 4 - 12)
        smtp_ah = bytes(eth() / self.v4(proto=51) / Raw(ah(6) + bytes(TCP(sport=40000, dport=25)) + PAY))
        https_ah = bytes(eth() / self.v4(proto=51) / Raw(ah(6) + bytes(tcp) + PAY))
        ah_ah = bytes(eth() / self.v4(proto=51) / Raw(ah(51, 1) + ah(6, 1) + bytes(tcp) + PAY))
        ah_cut = bytes(eth() / self.v4(proto=51) / Raw(ah(6)))[:14 + 20 + 16]
        # An 8-byte "AH" (length byte 0) would put its sequence number where the TCP header is.
        ah_short = bytes(eth() / self.v4(proto=51) / Raw(bytes([6, 0, 0, 0, 0, 0, 0x10, 0]) + struct.pack("!HH", 25, 7)
                                                        + bytes(TCP(sport=40000, dport=25)) + PAY))
        c["IPv4 AH"] = ([smtp_ah, https_ah, ah_ah, ah_cut, ah_short],
                        {"excluded_port": 1, "transit": 1, "anomaly_ipv4_ah_repeated": 1, "anomaly_ipv4_ah_truncated": 1,
                         "anomaly_ah_bad_length": 1},
                        [14 + 20 + 24 + 20])
        return c

    def test_each_class_gives_its_exact_counters(self):
        auth = [fr.authorisation("APP-T", "approval", "transit", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")]
        rules = [{"id": "t", "category": "transit", "between": ["foreign", "foreign"], "authorisation": "APP-T"}]
        with fr.tmpdir() as d:
            cfg = fr.base_config(d, auth, rules)
            for name, (frames, expected, lengths) in self.cases().items():
                with self.subTest(case=name):
                    cap = os.path.join(d, "case.pcap")
                    write_raw_pcap(cap, frames)
                    r = fr.run(cfg, [cap])
                    self.assertEqual(r.rc, 0, r.stderr)
                    self.assertEqual(r.count("received"), len(frames))
                    nonzero = {k: v for k, v in r.counters.items()
                               if v and k not in ("received", "accounted (emitted + dropped)", "exporter written")}
                    self.assertEqual(nonzero, expected)
                    recs = fr.records(r.output)
                    self.assertEqual([cap_len for _, _, cap_len, _ in recs], lengths)
                    with open(r.output, "rb") as f:
                        self.assertNotIn(fr.MARKER[:8], f.read())


def write_raw_pcap(path, frames):
    """A nanosecond pcap of raw frames (scapy would re-dissect and repair some of them)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        for i, b in enumerate(frames):
            f.write(struct.pack("<IIII", T0 + i, 0, len(b), len(b)))
            f.write(b)


if __name__ == "__main__":
    unittest.main()
