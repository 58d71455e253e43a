"""test_tshark_oracle.py: flowsieve's parser against an independent oracle, tshark.

For every real capture under tests/data/pcap/ this runs parse-dump (flowsieve's parser, one TSV
line per packet; frames of other link types than Ethernet behind the Ethernet header the replay puts
in place of theirs, so that their offsets count from a 14-byte link header) and `tshark -T fields` on the same file, derives from tshark's dissection
what flowsieve should have found (outermost IP endpoints, protocol after the IPv6 extension chain,
ports, fragment state, VLAN count, header length), and compares field by field.

Every disagreement must be listed, with its reason, in known_differences.tsv next to this file;
the test fails on a disagreement that is not listed and on a listed one that no longer occurs.

Run by meson (`meson test -C BUILD --suite oracle`), or by hand:
  PARSE_DUMP=BUILD/tests/oracle/parse-dump FLOWSIEVE_SOURCE_ROOT=. /usr/bin/python3 \
      tests/oracle/test_tshark_oracle.py [--dump]
--dump prints every current disagreement as TSV rows (reason left empty) instead of testing.
"""

import ipaddress
import os
import subprocess
import sys
import unittest
from pathlib import Path

SOURCE_ROOT = Path(os.environ.get("FLOWSIEVE_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
PCAP_ROOT = SOURCE_ROOT / "tests" / "data" / "pcap"
KNOWN_DIFFERENCES = Path(__file__).resolve().parent / "known_differences.tsv"
LINKTYPE_ETHERNET = 1

# Reassembly would replace a fragment's dissection by the reassembled packet's; flowsieve looks at
# each fragment alone, so tshark must too.
TSHARK_PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]

TSHARK_FIELDS = [
    "frame.number", "frame.protocols",
    "ip.src", "ip.dst", "ip.proto", "ip.hdr_len", "ip.frag_offset", "ip.flags.mf",
    "ipv6.src", "ipv6.dst", "ipv6.nxt",
    "ipv6.hopopts.nxt", "ipv6.hopopts.len_oct",
    "ipv6.dstopts.nxt", "ipv6.dstopts.len_oct",
    "ipv6.routing.nxt", "ipv6.routing.len_oct",
    "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "ipv6.fraghdr.more",
    "ah.next_header", "ah.length",
    "tcp.srcport", "tcp.dstport", "tcp.hdr_len",
    "udp.srcport", "udp.dstport",
    "sctp.srcport", "sctp.dstport",
    "_ws.expert.severity", "_ws.malformed", "_ws.short",
]

PI_ERROR = 0x00800000  # epan/proto.h: expert severity "Error" (malformed, bogus field...)

# Protocol names in frame.protocols that are one 4-byte VLAN tag each.
VLAN_PROTOS = {"vlan", "ieee8021ad"}
# IPv6 extension headers as tshark names them, with (next-header field, header length in bytes).
# AH counts as an extension header after IPv6, as in flowsieve (RFC 4302: (len + 2) * 4 bytes).
IPV6_EXT = {
    "ipv6.hopopts": ("ipv6.hopopts.nxt", lambda f, i: int(f["ipv6.hopopts.len_oct"][i])),
    "ipv6.dstopts": ("ipv6.dstopts.nxt", lambda f, i: int(f["ipv6.dstopts.len_oct"][i])),
    "ipv6.routing": ("ipv6.routing.nxt", lambda f, i: int(f["ipv6.routing.len_oct"][i])),
    "ipv6.fraghdr": ("ipv6.fraghdr.nxt", lambda f, i: 8),
    "ah": ("ah.next_header", lambda f, i: (int(f["ah.length"][i]) + 2) * 4),
}
# Upper-layer headers flowsieve reads, with their fixed length (TCP: tcp.hdr_len instead).
L4_HEADER_LEN = {"udp": 8, "sctp": 12, "icmp": 8, "icmpv6": 8}
PORT_FIELDS = {"tcp": "tcp", "udp": "udp", "sctp": "sctp"}

# Fields compared, in parse-dump's column order after index and outcome.
DUMP_COLUMNS = ["src", "dst", "proto", "sport", "dport", "fragment", "vlan_count", "l3_offset",
                "header_len"]
PACKET_FIELDS = ["src", "dst", "proto", "sport", "dport", "fragment", "header_len"]
# Anomalies that stop flowsieve before the end of the VLAN tags: no tag count to compare.
ETHERNET_ANOMALIES = {"anomaly:eth_truncated", "anomaly:vlan_truncated", "anomaly:vlan_too_deep"}


def captures():
    """Every capture in tests/data/pcap, sorted, as paths relative to it."""
    found = [p for p in PCAP_ROOT.rglob("*") if p.suffix in (".pcap", ".pcapng") and p.is_file()]
    return sorted(p.relative_to(PCAP_ROOT).as_posix() for p in found)


def run_parse_dump(path):
    """(linktype, {frame: {outcome, src, ...}}) from parse-dump."""
    out = subprocess.run([os.environ["PARSE_DUMP"], str(path)], check=True, capture_output=True,
                         text=True).stdout
    lines = out.splitlines()
    tag, linktype = lines[0].split("\t")
    assert tag == "#linktype", lines[0]
    packets = {}
    for line in lines[1:]:
        cols = line.split("\t")
        assert len(cols) == 2 + len(DUMP_COLUMNS), line
        row = dict(zip(DUMP_COLUMNS, cols[2:]))
        row["outcome"] = cols[1]
        packets[int(cols[0])] = row
    return int(linktype), packets


def run_tshark(path):
    """{frame: {field: [occurrences]}} from tshark -T fields, every occurrence of every field."""
    cmd = ["tshark", "-n", "-r", str(path), *TSHARK_PREFS, "-T", "fields", "-E", "separator=/t",
           "-E", "occurrence=a", "-E", "aggregator=|"]
    for field in TSHARK_FIELDS:
        cmd += ["-e", field]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    packets = {}
    for line in out.splitlines():
        cols = line.split("\t")
        assert len(cols) == len(TSHARK_FIELDS), line
        fields = {name: (value.split("|") if value else []) for name, value in zip(TSHARK_FIELDS, cols)}
        packets[int(fields["frame.number"][0])] = fields
    return packets


def first(fields, name):
    values = fields[name]
    return values[0] if values else None


def canonical_ip(text):
    return str(ipaddress.ip_address(text)) if text not in (None, "-") else text


# The link layers tshark names first in frame.protocols for the other link types the replay takes;
# raw IP (and the IPv4/IPv6 link types) start with the IP layer itself.
OTHER_LINKS = {"sll", "null", "loop", "ppp", "raw"}


def tshark_view(fields, linktype=LINKTYPE_ETHERNET):
    """What tshark's dissection says flowsieve should report, in parse-dump's vocabulary.

    Returns a dict with 'outcome' and each field tshark gives a value for; a field tshark cannot
    tell (its layer was not dissected) is absent. The outcome is ok or not_ip, or, where tshark
    itself finds fault: malformed (an expert error or a dissector exception) or truncated:<layer>
    (the capture ends inside a header: "Packet size limited during capture: TCP truncated").
    """
    protos = fields["frame.protocols"][0].split(":")
    fault = None
    if fields["_ws.malformed"] or any(int(s) >= PI_ERROR for s in fields["_ws.expert.severity"]):
        fault = "malformed"
    elif fields["_ws.short"]:
        layer = fields["_ws.short"][0].rsplit(":", 1)[-1].strip(" ]").removesuffix(" truncated")
        fault = "truncated:" + layer.replace(" ", "_")
    view = {}

    # Ethernet, then ethertype/VLAN tags until the first protocol that is neither. Another link
    # layer stands for the Ethernet header (flowsieve's offsets count from one of 14 bytes).
    if linktype == LINKTYPE_ETHERNET:
        assert protos[0] == "eth", protos
        pos, vlans = 1, 0
    else:
        pos, vlans = (1 if protos[0] in OTHER_LINKS else 0), 0
    while pos < len(protos) and (protos[pos] == "ethertype" or protos[pos] in VLAN_PROTOS):
        vlans += protos[pos] in VLAN_PROTOS
        pos += 1
    view["vlan_count"] = str(vlans)
    view["l3_offset"] = str(14 + 4 * vlans)  # where the payload of the last tag starts
    l3 = protos[pos] if pos < len(protos) else None
    if l3 not in ("ip", "ipv6"):
        view["outcome"] = fault or "not_ip"
        return view
    view["outcome"] = fault or "ok"
    pos += 1

    # The outermost IP header is the first occurrence of its family's fields: inner headers of
    # tunnels and ICMP-quoted packets come later in the frame, so later in each field's list.
    try:
        if l3 == "ip":
            view["src"], view["dst"] = first(fields, "ip.src"), first(fields, "ip.dst")
            view["proto"] = first(fields, "ip.proto")
            l3_len = int(first(fields, "ip.hdr_len"))
            offset = int(first(fields, "ip.frag_offset"))
            more = first(fields, "ip.flags.mf") in ("1", "True")
        else:
            view["src"], view["dst"] = first(fields, "ipv6.src"), first(fields, "ipv6.dst")
            proto, l3_len, offset, more = first(fields, "ipv6.nxt"), 40, 0, False
            seen = {}
            while pos < len(protos) and protos[pos] in IPV6_EXT:
                name = protos[pos]
                index = seen.get(name, 0)
                seen[name] = index + 1
                nxt_field, length = IPV6_EXT[name]
                proto = fields[nxt_field][index]
                l3_len += length(fields, index)
                pos += 1
                if name == "ipv6.fraghdr":
                    offset = int(fields["ipv6.fraghdr.offset"][index])
                    more = fields["ipv6.fraghdr.more"][index] in ("1", "True")
                    if offset > 0:
                        break  # what follows a non-first fragment header is fragment data
            view["proto"] = proto
    except (TypeError, ValueError, IndexError):
        # A field of the IP layer is missing: tshark gave up on it (and says why in expert info).
        return {k: v for k, v in view.items() if k in ("outcome", "vlan_count", "l3_offset")}
    view["fragment"] = "non_first" if offset > 0 else "first" if more else "none"

    header_len = 14 + 4 * vlans + l3_len
    l4 = protos[pos] if pos < len(protos) and offset == 0 else None
    view["sport"] = view["dport"] = "-"
    if l4 == "tcp" and first(fields, "tcp.hdr_len") is not None:
        header_len += int(first(fields, "tcp.hdr_len"))
    elif l4 in L4_HEADER_LEN:
        header_len += L4_HEADER_LEN[l4]
    if l4 in PORT_FIELDS:
        sport, dport = first(fields, l4 + ".srcport"), first(fields, l4 + ".dstport")
        if sport is not None and dport is not None:
            view["sport"], view["dport"] = sport, dport
    view["header_len"] = str(header_len)
    return view


def compare_packet(fs, ts):
    """[(field, flowsieve value, tshark value)] for one packet; also returns the fields compared."""
    diffs, compared = [], []
    fs_outcome, ts_outcome = fs["outcome"], ts["outcome"]
    # An anomaly agrees with any fault tshark finds; which header is to blame is not compared
    # (tshark's expert info does not say which layer raised it in -T fields output).
    agree = (fs_outcome.startswith("anomaly:") and ts_outcome.startswith(("malformed", "truncated:"))
             or fs_outcome == ts_outcome)
    compared.append("outcome")
    if not agree:
        diffs.append(("outcome", fs_outcome, ts["outcome"]))
    # Where the Ethernet/VLAN header ends: flowsieve reports it for every packet whose tag stack
    # it could walk, whatever went wrong further in.
    if fs_outcome not in ETHERNET_ANOMALIES:
        for field in ("vlan_count", "l3_offset"):
            compared.append(field)
            if fs[field] != ts[field]:
                diffs.append((field, fs[field], ts[field]))
    # The key and lengths only where both sides report them: flowsieve parsed the packet and
    # tshark dissected an outermost IP header.
    if fs_outcome == "ok" and "src" in ts:
        for field in PACKET_FIELDS:
            if field not in ts:
                continue
            mine, theirs = fs[field], ts[field]
            if field in ("src", "dst"):
                mine, theirs = canonical_ip(mine), canonical_ip(theirs)
            compared.append(field)
            if mine != theirs:
                diffs.append((field, mine, theirs))
    return diffs, compared


class OracleResult:
    def __init__(self):
        self.files, self.other_links, self.packets, self.comparisons = 0, 0, 0, 0
        self.disagreements = {}  # (file, frame, field) -> (flowsieve, tshark)


def run_oracle():
    result = OracleResult()
    for rel in captures():
        path = PCAP_ROOT / rel
        linktype, fs_packets = run_parse_dump(path)
        result.other_links += linktype != LINKTYPE_ETHERNET
        ts_packets = run_tshark(path)
        if sorted(fs_packets) != sorted(ts_packets):
            raise AssertionError(f"{rel}: parse-dump and tshark see different frames")
        result.files += 1
        for frame in sorted(fs_packets):
            diffs, compared = compare_packet(fs_packets[frame], tshark_view(ts_packets[frame], linktype))
            result.packets += 1
            result.comparisons += len(compared)
            for field, mine, theirs in diffs:
                result.disagreements[(rel, frame, field)] = (mine, theirs)
    return result


def load_known_differences():
    """{(file, frame, field): (flowsieve, tshark, reason)} from known_differences.tsv."""
    known = {}
    lines = KNOWN_DIFFERENCES.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        where = f"{KNOWN_DIFFERENCES.name}:{number}"
        if cols[0] == "file":
            continue  # column header
        if len(cols) != 6 or not cols[5].strip():
            raise AssertionError(f"{where}: want 6 tab-separated columns with a reason")
        key = (cols[0], int(cols[1]), cols[2])
        if key in known:
            raise AssertionError(f"{where}: duplicate entry for {key}")
        known[key] = (cols[3], cols[4], cols[5])
    return known


def format_row(key, values, reason=""):
    return "\t".join([key[0], str(key[1]), key[2], values[0], values[1], reason])


class ComparisonSelfTest(unittest.TestCase):
    """The comparison itself must notice a wrong answer, or the oracle proves nothing."""

    def tshark_fields(self, **values):
        fields = {name: [] for name in TSHARK_FIELDS}
        for name, value in values.items():
            fields[name.replace("__", ".")] = value if isinstance(value, list) else [value]
        return fields

    def test_vlan_ipv4_tcp_matches_and_each_wrong_field_is_caught(self):
        ts = tshark_view(self.tshark_fields(**{
            "frame.protocols": "eth:ethertype:vlan:ethertype:ip:tcp:http",
            "ip.src": "192.0.2.1", "ip.dst": "198.51.100.7", "ip.proto": "6", "ip.hdr_len": "24",
            "ip.frag_offset": "0", "ip.flags.mf": "0", "tcp.srcport": "40000", "tcp.dstport": "80",
            "tcp.hdr_len": "32"}))
        good = {"outcome": "ok", "src": "192.0.2.1", "dst": "198.51.100.7", "proto": "6",
                "sport": "40000", "dport": "80", "fragment": "none", "vlan_count": "1",
                "l3_offset": "18", "header_len": str(14 + 4 + 24 + 32)}
        diffs, compared = compare_packet(good, ts)
        self.assertEqual(diffs, [])
        self.assertEqual(len(compared), 3 + len(PACKET_FIELDS))
        for field, wrong in [("src", "192.0.2.2"), ("dport", "443"), ("proto", "17"),
                             ("fragment", "first"), ("header_len", "70"), ("vlan_count", "0"),
                             ("outcome", "anomaly:tcp_truncated")]:
            bad = dict(good, **{field: wrong})
            diffs, _ = compare_packet(bad, ts)
            self.assertIn(field, [d[0] for d in diffs], field)

    def test_ipv6_extension_chain_and_outermost_header(self):
        # IPv6 / hop-by-hop (8) / fragment, first (8) / UDP, carrying a tunnelled IPv6 packet:
        # the outer addresses, the fragment header's next header and 14+40+16+8 bytes.
        ts = tshark_view(self.tshark_fields(**{
            "frame.protocols": "eth:ethertype:ipv6:ipv6.hopopts:ipv6.fraghdr:udp:teredo:ipv6",
            "ipv6.src": ["2001:db8::1", "2001:db8::99"], "ipv6.dst": ["2001:db8::2", "2001:db8::98"],
            "ipv6.nxt": ["0", "59"], "ipv6.hopopts.nxt": "44", "ipv6.hopopts.len_oct": "8",
            "ipv6.fraghdr.nxt": "17", "ipv6.fraghdr.offset": "0", "ipv6.fraghdr.more": "1",
            "udp.srcport": "3544", "udp.dstport": "5000"}))
        self.assertEqual(ts, {"outcome": "ok", "vlan_count": "0", "l3_offset": "14",
                              "src": "2001:db8::1", "dst": "2001:db8::2", "proto": "17",
                              "fragment": "first", "sport": "3544", "dport": "5000",
                              "header_len": "78"})

    def test_malformed_compares_only_what_both_report(self):
        ts = tshark_view(self.tshark_fields(**{
            "frame.protocols": "eth:ethertype:ip", "_ws.expert.severity": str(PI_ERROR),
            "ip.src": "192.0.2.1", "ip.dst": "192.0.2.2"}))
        fs = {"outcome": "anomaly:ipv4_bad_ihl", "vlan_count": "0", "l3_offset": "14"}
        diffs, compared = compare_packet(fs, ts)
        self.assertEqual((diffs, compared), ([], ["outcome", "vlan_count", "l3_offset"]))


class TsharkOracleTest(unittest.TestCase):
    def test_every_disagreement_is_known_and_every_known_one_occurs(self):
        result = run_oracle()
        known = load_known_differences()
        agreements = result.comparisons - len(result.disagreements)
        print(f"\noracle: {result.files} captures ({result.other_links} of other link types than Ethernet), "
              f"{result.packets} packets, "
              f"{result.comparisons} field comparisons, {agreements} agree, "
              f"{len(result.disagreements)} disagree (listed: {len(known)})", file=sys.stderr)
        self.assertGreaterEqual(result.other_links, 8, "the oracle must see the captures of other link types")
        self.assertGreater(result.packets, 10000, "the oracle must see the real captures")

        problems = []
        for key, values in sorted(result.disagreements.items()):
            if key not in known:
                problems.append("unexplained: " + format_row(key, values))
            elif known[key][:2] != values:
                problems.append("changed: " + format_row(key, values) + f"  (listed as {known[key][:2]})")
        for key in sorted(set(known) - set(result.disagreements)):
            problems.append("no longer occurs (remove it): " + format_row(key, known[key][:2]))
        if problems:
            self.fail(f"{len(problems)} problems with {KNOWN_DIFFERENCES.name}:\n" + "\n".join(problems))


def dump():
    result = run_oracle()
    for key, values in sorted(result.disagreements.items()):
        print(format_row(key, values))


if __name__ == "__main__":
    if sys.argv[1:] == ["--dump"]:
        dump()
    else:
        unittest.main(verbosity=2)
