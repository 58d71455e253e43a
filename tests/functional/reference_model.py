# reference_model.py: an independent, deliberately plain model of flowsieve's decision for the
# functional tests: header walk in Python (struct), world-table lookup by bisect, RFC 6890 blocks
# from Python's ipaddress module, then the policy order of ARCHITECTURE.md. It answers "emitted
# under which category, with how many header bytes" or "dropped"; packets it cannot judge plainly
# (malformed, odd extension chains) are reported as None and left to the unit tests.
import ipaddress
import struct

EMAIL_PORTS = {25, 110, 143, 465, 587, 993, 995}
VLAN_TYPES = {0x8100, 0x88A8, 0x9100}
# Hop-by-hop, routing, destination options, Mobility, HIP, Shim6 and the two experimental types: the
# extension headers of the IANA registry with the generic length (fragment and AH handled apart).
IPV6_EXT = {0, 43, 60, 135, 139, 140, 253, 254}


class Parsed:
    def __init__(self, src, dst, proto, sport, dport, header_len, non_first):
        self.src, self.dst, self.proto = src, dst, proto
        self.sport, self.dport, self.header_len, self.non_first = sport, dport, header_len, non_first


def parse(frame):
    """Parsed, 'not_ip', or None (anything a plain walk would call malformed)."""
    if len(frame) < 14:
        return None
    off, etype = 14, struct.unpack_from("!H", frame, 12)[0]
    while etype in VLAN_TYPES:
        if len(frame) < off + 4 or off >= 14 + 4 * 4:  # more than four tags: vlan_too_deep
            return None
        etype = struct.unpack_from("!H", frame, off + 2)[0]
        off += 4
    if etype == 0x0800:
        if len(frame) < off + 20 or frame[off] >> 4 != 4:
            return None
        ihl = (frame[off] & 15) * 4
        total = struct.unpack_from("!H", frame, off + 2)[0]
        if ihl < 20 or total < ihl or len(frame) < off + ihl:
            return None
        end = min(len(frame), off + total)
        fl = struct.unpack_from("!H", frame, off + 6)[0]
        frag_off, more = fl & 0x1FFF, bool(fl & 0x2000)
        proto = frame[off + 9]
        src, dst = ipaddress.ip_address(frame[off + 12:off + 16]), ipaddress.ip_address(frame[off + 16:off + 20])
        l4, non_first, first_frag = off + ihl, frag_off != 0, frag_off == 0 and more
        if proto == 51 and not non_first:  # transport-mode AH (RFC 4302): the header behind it counts
            if end < l4 + 2 or frame[l4 + 1] == 0 or end < l4 + (frame[l4 + 1] + 2) * 4 or frame[l4] == 51:
                return None
            proto, l4 = frame[l4], l4 + (frame[l4 + 1] + 2) * 4
    elif etype == 0x86DD:
        if len(frame) < off + 40 or frame[off] >> 4 != 6:
            return None
        end = min(len(frame), off + 40 + struct.unpack_from("!H", frame, off + 4)[0])
        src, dst = ipaddress.ip_address(frame[off + 8:off + 24]), ipaddress.ip_address(frame[off + 24:off + 40])
        proto, l4, non_first, first_frag = frame[off + 6], off + 40, False, False
        seen = 0
        while proto in IPV6_EXT or proto in (44, 51):
            seen += 1
            if seen > 8 or end < l4 + 8:
                return None
            if proto == 44:
                fo = struct.unpack_from("!H", frame, l4 + 2)[0]
                non_first, first_frag = (fo >> 3) != 0, (fo >> 3) == 0 and bool(fo & 1)
                proto, l4 = frame[l4], l4 + 8
                if non_first:  # what follows is fragment data, headers or not: the walk ends here
                    break
            elif proto == 51:  # AH (RFC 4302): 12 bytes at least, a multiple of 8 in IPv6
                if frame[l4 + 1] == 0 or frame[l4 + 1] % 2:
                    return None
                proto, l4 = frame[l4], l4 + (frame[l4 + 1] + 2) * 4
            else:
                proto, l4 = frame[l4], l4 + (frame[l4 + 1] + 1) * 8
        if l4 > end:
            return None
    else:
        return "not_ip"
    if non_first:
        return Parsed(src, dst, proto, None, None, l4, True)
    sizes = {6: None, 17: 8, 132: 12, 1: 8, 58: 8}
    if proto not in sizes:
        return Parsed(src, dst, proto, None, None, l4, False)
    if end < l4 + (20 if proto == 6 else sizes[proto]):
        return None
    size = (frame[l4 + 12] >> 4) * 4 if proto == 6 else sizes[proto]
    if size < (20 if proto == 6 else sizes[proto]) or end < l4 + size:
        return None
    if proto == 17 and not first_frag and struct.unpack_from("!H", frame, l4 + 4)[0] != end - l4:
        return None  # UDP length disagrees with the IP payload: an anomaly for flowsieve
    ports = struct.unpack_from("!HH", frame, l4) if proto in (6, 17, 132) else (None, None)
    return Parsed(src, dst, proto, ports[0], ports[1], l4 + size, False)


def is_special(a):
    return not a.is_global or a.is_multicast


class Policy:
    """rules: list of (category, near, sets, auth window (from_ns, until_ns)); near is 'foreign',
    'domestic' or 'operator'. Excluded ports are the default e-mail ports."""

    def __init__(self, world, domestic, operator_nets, indicator_sets, rules):
        self.world, self.domestic = world, set(domestic)
        self.operator_nets = [ipaddress.ip_network(n) for n in operator_nets]
        self.indicator_sets, self.rules = indicator_sets, rules

    def kind(self, a):
        if is_special(a):
            return "special"
        if any(a in n for n in self.operator_nets):
            return "operator"
        cc = self.world.country(str(a))
        if cc is None:
            return "unknown"
        return "domestic" if cc in self.domestic else "foreign"

    def hits(self, a, sets):
        return any(self.indicator_sets[s](a) for s in sets)

    def decide(self, frame, t_ns):
        """('emit', category, header_len) or ('drop', reason) or None when the model abstains."""
        p = parse(frame)
        if p is None:
            return None
        if p == "not_ip":
            return ("drop", "not_ip")
        ks, kd = self.kind(p.src), self.kind(p.dst)
        if "special" in (ks, kd):
            return ("drop", "special_address")
        national = {"domestic", "operator"}
        if ks in national and kd in national:
            return ("drop", "domestic_domestic")
        first_failure = None
        for category, near, sets, (t_from, t_until) in self.rules:
            if not ((ks == "foreign" and kd == near) or (kd == "foreign" and ks == near)):
                continue
            if sets and not (self.hits(p.src, sets) or self.hits(p.dst, sets)):
                continue
            if p.non_first:
                why = "fragment_no_ports"
            elif p.sport is not None and (p.sport in EMAIL_PORTS or p.dport in EMAIL_PORTS):
                why = "excluded_port"
            elif not (t_from <= t_ns < t_until):
                why = "unauthorised"
            else:
                return ("emit", category, min(p.header_len, 192))
            first_failure = first_failure or why
        return ("drop", first_failure or "no_rule")
