# flowsieve_run.py: shared helpers of the functional tests: run the real binary on a config and
# captures, read back its summary and its output file, and a small independent model of the world
# table (for picking real addresses and for reference decisions).
import bisect
import heapq
import ipaddress
import json
import os
import re
import struct
import subprocess
import tempfile

ROOT = os.environ.get("FLOWSIEVE_SOURCE_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
FLOWSIEVE = os.environ.get("FLOWSIEVE_BIN", os.path.join(ROOT, "build", "src", "app", "flowsieve"))
GENERATOR = os.environ.get("FLOWSIEVE_GEN", os.path.join(ROOT, "build", "perf", "generator", "flowsieve-gen"))
WORLD = [os.path.join(ROOT, "data", "world", f"geo-whois-asn-country-ipv{v}.csv") for v in (4, 6)]
INDICATORS = os.path.join(ROOT, "tests", "data", "indicators", "ip")
MARKER = b"FLOWSIEVE-CANARY!"


def paint(rows):
    """Ranges (start, end, cc) in file order -> disjoint sorted ranges where, as in flowsieve's
    loader, a later range overrides an earlier one where they overlap (the real tables have hundreds
    of nested or overlapping rows among hundreds of thousands)."""
    order = sorted(range(len(rows)), key=lambda i: rows[i][0])
    out, cluster, reach = [], [], -1
    for i in order + [None]:  # runs of rows that overlap one another, each painted on its own
        if cluster and (i is None or rows[i][0] > reach):
            out += [rows[cluster[0]]] if len(cluster) == 1 else _sweep(rows, cluster)
            cluster = []
        if i is not None:
            reach = rows[i][1] if not cluster else max(reach, rows[i][1])
            cluster.append(i)
    return out


def _sweep(rows, ids):
    """paint() over the rows `ids` (sorted by start): a sweep over their boundaries, the heap holding
    the rows open at each point with the latest row on top (expired ones dropped on reaching it)."""
    points = sorted({rows[i][0] for i in ids} | {rows[i][1] + 1 for i in ids})
    out, heap, j = [], [], 0
    for k in range(len(points) - 1):
        x = points[k]
        while j < len(ids) and rows[ids[j]][0] <= x:
            heapq.heappush(heap, (-ids[j], rows[ids[j]][1]))
            j += 1
        while heap and heap[0][1] < x:
            heapq.heappop(heap)
        if heap:
            cc, last = rows[-heap[0][0]][2], points[k + 1] - 1
            if out and out[-1][2] == cc and out[-1][1] + 1 == x:
                out[-1] = (out[-1][0], last, cc)
            else:
                out.append((x, last, cc))
    return out


class WorldTable:
    """The world range CSVs as sorted interval lists: a reference lookup independent of the LPM."""

    def __init__(self, paths=WORLD):
        self.starts = {4: [], 6: []}
        self.rows = {4: [], 6: []}
        for path in paths:
            with open(path) as f:
                for line in f:
                    start, end, cc = line.strip().split(",")
                    a, b = ipaddress.ip_address(start), ipaddress.ip_address(end)
                    self.rows[a.version].append((int(a), int(b), cc))
        for v in (4, 6):
            self.rows[v] = paint(self.rows[v])
            self.starts[v] = [r[0] for r in self.rows[v]]

    def country(self, addr):
        a = ipaddress.ip_address(addr)
        rows = self.rows[a.version]
        i = bisect.bisect_right(self.starts[a.version], int(a)) - 1
        if i >= 0 and rows[i][0] <= int(a) <= rows[i][1]:
            return rows[i][2]
        return None

    def address_in(self, cc, version=4, nth=0):
        """The first address (+1) of the nth range registered to `cc` that no special block covers."""
        seen = 0
        for start, end, c in self.rows[version]:
            if c != cc or end - start < 4:
                continue
            a = ipaddress.ip_address(start + 1)
            if not a.is_global:
                continue
            if seen == nth:
                return str(a)
            seen += 1
        raise LookupError(f"no IPv{version} range for {cc}")


_world = None


def world():
    global _world
    if _world is None:
        _world = WorldTable()
    return _world


def authorisation(id, kind, category, valid_from, valid_until, scope=None, serial=1):
    a = {"id": id, "kind": kind, "category": category, "issuer": "test-commission" if kind == "approval" else "test-operator",
         "valid_from": valid_from, "valid_until": valid_until, "serial": serial}
    if scope:
        a["scope"] = scope
    return a


def write_authorisation(path, a):
    """One `key: <JSON value>` line per field: valid YAML that `flowsieve authority sign` can append to."""
    with open(path, "w") as f:
        f.write("".join(f"{k}: {json.dumps(v)}\n" for k, v in a.items()))


def base_config(workdir, authorisations, rules, indicators=None, operators=None, extra=None):
    """Writes a config (JSON is YAML) and its authorisation files into workdir; returns its path.
    An authorisation given as a path is used as it is."""
    auth_files = []
    for a in authorisations:
        if isinstance(a, str):  # a file written (and signed) by the caller
            auth_files.append(a)
            continue
        p = os.path.join(workdir, a["id"] + ".yaml")
        with open(p, "w") as f:
            json.dump(a, f)
        auth_files.append(p)
    cfg = {
        "domestic": ["JP"],
        "countries": {"files": WORLD},
        "indicators": indicators or [],
        "operators": operators or [],
        "authorisations": auth_files,
        "rules": rules,
        "dpdk": {"mbufs": 4095, "ring_size": 1024},
        "output": {"path": os.path.join(workdir, "out.pcapng")},
        "stats": {"interval_s": 60},
    }
    if not cfg["indicators"]:
        del cfg["indicators"]
    if not cfg["operators"]:
        del cfg["operators"]
    if extra:
        cfg.update(extra)
    path = os.path.join(workdir, "config.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


class RunResult:
    def __init__(self, proc, output):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.output = output
        summary = parse_summary(proc.stdout)
        # The caches' rows are performance figures (they move with how the input is cut into
        # bursts), not packet accounting: kept apart so that counter comparisons stay exact.
        self.cache = {k: v for k, v in summary.items() if k.startswith(("endpoint lookups", "flow verdicts"))}
        self.counters = {k: v for k, v in summary.items() if k not in self.cache}

    def count(self, name):
        return self.counters.get(name, 0)

    def emitted(self):
        return sum(self.count(c) for c in ("transit", "operator", "threat-linked"))


def parse_summary(text):
    """Counter name -> total (the last column of the summary table)."""
    counters = {}
    for line in text.splitlines():
        m = re.match(r"^\s+([a-z][a-z0-9_\-() +]*?)\s+((?:\d+\s*)+)$", line)
        if m:
            counters[m.group(1)] = int(m.group(2).split()[-1])
    return counters


def run(config, inputs, output=None, fmt=None, timeout=120, extra_args=()):
    args = [FLOWSIEVE, "run", "--config", config]
    for i in inputs:
        args += ["--input", i]
    if output:
        args += ["--output", output]
    if fmt:
        args += ["--format", fmt]
    args += list(extra_args)
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    out = output
    if out is None:
        with open(config) as f:
            out = json.load(f)["output"]["path"]
    return RunResult(proc, out)


def records(path):
    """(time ns, wire length, captured length, comment) of every record, via tshark."""
    if not os.path.exists(path):
        return []
    proc = subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=|", "-e", "frame.time_epoch",
                           "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.comment"],
                          capture_output=True, text=True, check=True)
    out = []
    for line in proc.stdout.splitlines():
        t, wire, cap, comment = line.split("|", 3)
        sec, _, frac = t.partition(".")
        out.append((int(sec) * 10**9 + int((frac + "000000000")[:9]), int(wire), int(cap), comment))
    return out


def count_pcapng_packets(path):
    """Enhanced Packet Blocks in a (little-endian) pcapng file, walked block by block: fast on big files."""
    n = 0
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off + 8 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or off + blen > len(data):
            raise ValueError(f"{path}: truncated block at offset {off}")
        n += btype == 6
        off += blen
    return n


def count_pcap_packets(path):
    """Records in a classic (little-endian) pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        raise ValueError(f"{path}: not a little-endian pcap file")
    n, off = 0, 24
    while off + 16 <= len(data):
        off += 16 + struct.unpack_from("<I", data, off + 8)[0]
        n += 1
    return n


def audit_entries(log):
    """Every entry of an audit log (one JSON object a line)."""
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def complete_audit_entries(log):
    """The entries of a log a running filter is writing: a last line still being written is left out."""
    out = []
    with open(log) as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                break
    return out


def comment_fields(comment):
    return dict(kv.split("=", 1) for kv in comment.split() if "=" in kv)


def tmpdir():
    return tempfile.TemporaryDirectory(prefix="flowsieve-func-")


DEMO = os.path.join(ROOT, "config", "demo.yaml")


def demo_config(workdir, output=None, audit=None):
    """config/demo.yaml copied into workdir with every path made absolute and the run's state (serial
    state file, audit log and a copy of the filter key, output) moved into workdir: tests never share
    out/demo with the demo or with each other (the audit log is locked by the process writing it).
    `output` and `audit` update those sections. Returns the config path."""
    import shutil
    import yaml  # python3-yaml (scripts/setup installs it)
    with open(DEMO) as f:
        cfg = yaml.safe_load(f)
    here = lambda p: os.path.normpath(os.path.join(os.path.dirname(DEMO), p))
    cfg["countries"]["files"] = [here(p) for p in cfg["countries"]["files"]]
    for s in cfg["indicators"]:
        s["file"] = here(s["file"])
    cfg["authorisations"] = [here(p) for p in cfg["authorisations"]]
    for k in cfg["oversight"]["trusted_keys"]:
        k["file"] = here(k["file"])
    cfg["oversight"]["revocations"] = [here(p) for p in cfg["oversight"].get("revocations", [])]
    cfg["oversight"]["state_file"] = os.path.join(workdir, "state", "serials.txt")
    key = os.path.join(workdir, "filter-demo.key")
    shutil.copyfile(here(cfg["audit"]["key"]), key)
    os.chmod(key, 0o600)
    cfg["audit"].update({"log": os.path.join(workdir, "audit.log"), "key": key})
    cfg["audit"].update(audit or {})
    cfg["output"] = {"path": os.path.join(workdir, "out", "run.pcapng"), "format": "pcapng"}
    cfg["output"].update(output or {})
    cfg["stats"] = {"interval_s": 60}
    path = os.path.join(workdir, "config.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path
