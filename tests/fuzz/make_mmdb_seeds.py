#!/usr/bin/env python3
"""make_mmdb_seeds.py: writes small MaxMind DB files as fuzz_mmdb seeds, from the format's spec
(https://maxmind.github.io/MaxMind-DB/): a search tree of 24-bit records, 16 zero bytes, the data
section, the metadata marker and map. The same layouts as tests/unit/tables/mmdb_writer.hpp; the
world table's own .mmdb is too big for a seed (rerun to rewrite):

    tests/fuzz/make_mmdb_seeds.py            # rewrites tests/fuzz/corpus/mmdb/
"""
import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "mmdb"


def control(t, size):
    ext = bytes([t - 7]) if t > 7 else b""
    if size < 29:
        low, extra = size, b""
    elif size < 285:
        low, extra = 29, bytes([size - 29])
    else:
        low, extra = 30, struct.pack(">H", size - 285)
    return bytes([(t if t <= 7 else 0) << 5 | low]) + ext + extra


def s(v):
    b = v.encode()
    return control(2, len(b)) + b


def u(t, v):
    b = v.to_bytes((v.bit_length() + 7) // 8, "big")
    return control(t, len(b)) + b


def m(kv):
    return control(7, len(kv)) + b"".join(s(k) + v for k, v in kv)


def arr(items):
    return control(11, len(items)) + b"".join(items)


def database(ip_version, networks, links=()):
    """networks: (address int, prefix length, encoded record); links: (address, length, to address,
    to length): the record at the first network points to the node the second one ends at."""
    bits = 32 if ip_version == 4 else 128
    nodes = [[None, None]]

    def node_at(addr, length):
        n = 0
        for i in range(length):
            side = addr >> (bits - 1 - i) & 1
            if not (isinstance(nodes[n][side], tuple) and nodes[n][side][0] == "node"):
                nodes.append([None, None])
                nodes[n][side] = ("node", len(nodes) - 1)
            n = nodes[n][side][1]
        return n

    data, offsets = b"", []
    for addr, length, record in networks:
        offsets.append(len(data))
        data += record
        n = node_at(addr, length - 1)
        nodes[n][addr >> (bits - length) & 1] = ("data", len(offsets) - 1)
    for addr, length, to, to_length in links:
        target = node_at(to, to_length)
        n = node_at(addr, length - 1)
        nodes[n][addr >> (bits - length) & 1] = ("node", target)
    count = len(nodes)
    tree = b""
    for n in nodes:
        for r in n:
            v = count if r is None else r[1] if r[0] == "node" else count + 16 + offsets[r[1]]
            tree += v.to_bytes(3, "big")
    meta = m([("binary_format_major_version", u(5, 2)), ("binary_format_minor_version", u(5, 0)),
              ("build_epoch", u(9, 1781725900)), ("database_type", s("flowsieve-seed")),
              ("description", m([("en", s("flowsieve fuzz seed"))])), ("ip_version", u(5, ip_version)),
              ("languages", arr([s("en")])), ("node_count", u(6, count)), ("record_size", u(5, 24))])
    return tree + bytes(16) + data + b"\xab\xcd\xefMaxMind.com" + meta


def v4(a, b, c, d):
    return a << 24 | b << 16 | c << 8 | d


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    jp = m([("country", m([("iso_code", s("JP"))])), ("registered_country", m([("iso_code", s("US"))]))])
    de = m([("registered_country", m([("iso_code", s("DE"))]))])
    br = m([("country_code", s("BR"))])
    zz = m([("country_code", s("ZZ"))])
    seeds = {
        # IPv6 tree, IPv4 at ::/96 with the ::ffff:0:0/96 and 2002::/16 aliases (MaxMind's layout)
        "world-like.mmdb": database(6, [(v4(1, 0, 16, 0), 96 + 20, jp), (v4(198, 51, 100, 0), 96 + 24, br),
                                        (0x20010db8 << 96, 32, de), (0x2400cb00 << 96, 32, br)],
                                    [(0xffff << 32, 96, 0, 96), (0x2002 << 112, 16, 0, 96)]),
        # IPv4 tree, ip-location-db's flat records, adjacent networks and a placeholder
        "ipv4-flat.mmdb": database(4, [(v4(1, 0, 0, 0), 25, br), (v4(1, 0, 0, 128), 25, br),
                                       (v4(1, 0, 2, 0), 24, jp), (v4(10, 0, 0, 0), 8, zz)]),
        # one network above ::/96
        "above-v4.mmdb": database(6, [(0, 8, m([("country_code", s("AU"))]))]),
    }
    for name, blob in seeds.items():
        (OUT / name).write_bytes(blob)
    print(f"wrote {len(seeds)} seeds to {OUT}")


if __name__ == "__main__":
    main()
