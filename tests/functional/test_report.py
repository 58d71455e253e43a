# test_report.py: `flowsieve report` against what the filter really wrote. Two runs of the demo
# config (a temporary copy: its state file, audit log and outputs in a temp dir) append to one audit
# log; the report of the whole log, and of each run's period, must equal per authorisation and
# category the packets, header bytes, first/last packet time and distinct flows read back from the
# emitted pcapng files in Python (comments name category and authorisation). The refused lazarus
# approval appears as refused, no address appears in any format, and an edited log is refused. A log
# whose filter is still running (no stop + checkpoint yet) is reported up to its last checkpoint, noted.
import ipaddress
import json
import os
import re
import signal
import struct
import subprocess
import unittest


import flowsieve_run as fr
from test_lifecycle import start, wait_for

MAWI = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")
FEEDS = {"ipsum": "tests/data/indicators/ip/ipsum-level3.txt",
         "scanners": "tests/data/indicators/ip/maltrail-mass-scanner-cidr.txt"}
IPV6_EXT = {0, 43, 44, 51, 60, 135, 139, 140, 253, 254}


def generate(out, packets):
    args = [fr.GENERATOR, "--profile", "demo", "--seed", "11", "--packets", str(packets), "--out", out,
            "--domestic", "JP", "--start", "2021-06-01T00:00:00Z",
            "--operator", "27.113.248.0/22", "--operator", "2001:240:142c::/48"]
    for c in fr.WORLD:
        args += ["--countries", c]
    for name, path in FEEDS.items():
        args += ["--indicators", name + "=" + os.path.join(fr.ROOT, path)]
    subprocess.run(args, check=True, capture_output=True, text=True)


def pcapng_packets(path):
    """(time ns, captured bytes, comment) of every Enhanced Packet Block (little-endian pcapng)."""
    with open(path, "rb") as f:
        data = f.read()
    out, off, tsresol = [], 0, 6
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # interface description: if_tsresol (code 9)
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from("<HH", body, o)
                if code == 0:
                    break
                if code == 9:
                    tsresol = body[o + 4]
                o += 4 + olen + (-olen % 4)
        elif btype == 6:
            _, hi, lo, cap, _ = struct.unpack_from("<IIIII", body, 0)
            assert tsresol < 128, "power-of-ten resolutions only"
            t = ((hi << 32) | lo) * 10 ** (9 - tsresol)
            frame = body[20:20 + cap]
            o, comment = 20 + cap + (-cap % 4), ""
            while o + 4 <= len(body):
                code, olen = struct.unpack_from("<HH", body, o)
                if code == 0:
                    break
                if code == 1:
                    comment = body[o + 4:o + 4 + olen].decode()
                o += 4 + olen + (-olen % 4)
            out.append((t, frame, comment))
        off += blen
    return out


def flow_key(frame):
    """(protocol, both {address, port} endpoints, direction-independent) of an emitted header, as
    exporter.hpp defines a flow: ports 0 where there are none (non-first fragments, ICMP, others)."""
    off, etype = 14, struct.unpack_from("!H", frame, 12)[0]
    while etype in (0x8100, 0x88A8, 0x9100):
        etype = struct.unpack_from("!H", frame, off + 2)[0]
        off += 4
    if etype == 0x0800:
        ihl = (frame[off] & 15) * 4
        proto = frame[off + 9]
        src, dst = ipaddress.ip_address(frame[off + 12:off + 16]), ipaddress.ip_address(frame[off + 16:off + 20])
        non_first = struct.unpack_from("!H", frame, off + 6)[0] & 0x1FFF != 0
        l4 = off + ihl
    elif etype == 0x86DD:
        src, dst = ipaddress.ip_address(frame[off + 8:off + 24]), ipaddress.ip_address(frame[off + 24:off + 40])
        proto, l4, non_first = frame[off + 6], off + 40, False
        while proto in IPV6_EXT and not non_first:
            nxt = frame[l4]
            if proto == 44:
                non_first = struct.unpack_from("!H", frame, l4 + 2)[0] >> 3 != 0
                size = 8
            elif proto == 51:
                size = (frame[l4 + 1] + 2) * 4
            else:
                size = (frame[l4 + 1] + 1) * 8
            proto, l4 = nxt, l4 + size
    else:
        raise AssertionError("an emitted record that is not IP")
    ports = (0, 0)
    if proto in (6, 17, 132) and not non_first:
        ports = struct.unpack_from("!HH", frame, l4)
    a, b = (src.version, int(src), ports[0]), (dst.version, int(dst), ports[1])
    return (proto,) + tuple(sorted((a, b)))


def expected_rows(paths):
    """What the report must say of the runs that wrote `paths` (one pcapng per run): flows are
    distinct per run and summed over runs."""
    rows = {}
    for path in paths:
        flows = {}
        for t, frame, comment in pcapng_packets(path):
            c = fr.comment_fields(comment)
            key = (c["auth"], c["category"])
            r = rows.setdefault(key, {"packets": 0, "header_bytes": 0, "flows": 0, "first_ns": t, "last_ns": t})
            r["packets"] += 1
            r["header_bytes"] += len(frame)
            r["first_ns"], r["last_ns"] = min(r["first_ns"], t), max(r["last_ns"], t)
            flows.setdefault(key, set()).add(flow_key(frame))
        for key, s in flows.items():
            rows[key]["flows"] += len(s)
    return rows


def addresses_in(paths):
    out = set()
    for path in paths:
        for _, frame, _ in pcapng_packets(path):
            _, (_, a, _), (_, b, _) = flow_key(frame)
            out |= {str(ipaddress.ip_address(a)), str(ipaddress.ip_address(b))}
    return out


def report(log, *args, fmt="json"):
    p = subprocess.run([fr.FLOWSIEVE, "report", log, "--format", fmt] + list(args), capture_output=True, text=True)
    return p


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = fr.tmpdir()
        d = cls.d = cls.tmp.name
        # A counters entry every supervision tick (20 ms).
        cls.cfg = fr.demo_config(d, output={"path": os.path.join(d, "out.pcapng")}, audit={"interval_s": 0.001})
        cls.generated = os.path.exists(fr.GENERATOR)
        # Run 1: seeded demo traffic (all three categories) when the generator is built, else the
        # MAWI backbone sample, replayed live (net_pcap infinite_rx) until the audit log holds two
        # counters entries with written records, then SIGTERM: a run of several intervals whatever the
        # machine's speed (a capture read to its end can finish inside one tick). Run 2: the MAWI
        # sample read to its end. Both append to the same audit log.
        first_input = os.path.join(d, "gen.pcap") if cls.generated else MAWI
        if cls.generated:
            generate(first_input, 20000)
        cls.outputs = [os.path.join(d, "run1.pcapng"), os.path.join(d, "run2.pcapng")]
        cls.log = os.path.join(d, "audit.log")
        cls.live_run(first_input, cls.outputs[0])
        r = fr.run(cls.cfg, [MAWI], output=cls.outputs[1], timeout=300)
        assert r.rc == 0, r.stderr
        starts = [e for e in fr.audit_entries(cls.log) if e["type"] == "start"]
        assert len(starts) == 2
        cls.run2_start = starts[1]["time"]

    @classmethod
    def live_run(cls, capture, output):
        with open(cls.cfg) as f:
            c = json.load(f)
        # infinite_rx holds the whole capture in mbufs; the clock times packets (the replay has none).
        c["dpdk"] = dict(c.get("dpdk", {}), eal=["-m", "512", f"--vdev=net_pcap0,rx_pcap={capture},infinite_rx=1"],
                         mbufs=65535, time_source="clock")
        c["output"] = dict(c["output"], path=output)
        live_cfg = os.path.join(cls.d, "live.yaml")
        with open(live_cfg, "w") as f:
            json.dump(c, f)
        err = os.path.join(cls.d, "live-stderr.txt")
        p = start(live_cfg, err)
        in_capture = fr.count_pcap_packets(capture)

        def replayed():
            """The whole capture received at least once (every category it holds), over two counters
            intervals or more with written records; or the filter gone."""
            if p.poll() is not None:
                return True
            entries = fr.complete_audit_entries(cls.log) if os.path.exists(cls.log) else []
            counters = [e for e in entries if e["type"] == "counters"]
            return (sum(1 for e in counters if e["interval"].get("authorisations")) >= 2 and
                    counters[-1]["total"]["received"] >= in_capture)

        try:
            assert wait_for(replayed, timeout=120), "no two counters intervals with records in 120 s"
            assert p.poll() is None, open(err).read()
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=60)  # start() pipes stdout: read it, so that the exit summary never blocks
            assert p.returncode == 0, open(err).read()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def json_report(self, *args):
        p = report(self.log, *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def assert_matches(self, rep, paths):
        want = expected_rows(paths)
        got = {(r["authorisation"], r["category"]): r for r in rep["emitted"]}
        self.assertEqual(set(got), set(want))
        for key, w in want.items():
            with self.subTest(row=key):
                g = got[key]
                self.assertEqual(g["flows_untracked"], 0)
                self.assertEqual({k: g[k] for k in w}, w)

    def test_whole_log_matches_both_outputs(self):
        rep = self.json_report()
        self.assertEqual(rep["runs"], 2)
        self.assertTrue(rep["verification"].startswith("intact: "))
        self.assertGreater(rep["intervals"], rep["runs"], "a run of several intervals, summed")
        self.assertEqual(rep["notes"], [])  # in particular: every run's intervals sum to its stop totals
        self.assert_matches(rep, self.outputs)
        cats = {r["category"] for r in rep["emitted"]}
        self.assertIn("transit", cats)
        if self.generated:
            self.assertEqual(cats, {"transit", "operator", "threat-linked"})
        self.assertEqual(sum(r["packets"] for r in rep["emitted"]),
                         sum(fr.count_pcapng_packets(p) for p in self.outputs))
        # Each run's counted packets are exactly the records of its output.
        self.assertEqual([(o["state"], o["outputs"], o["output_matches"]) for o in rep["run_outputs"]],
                         [("stopped", 1, True)] * 2)
        self.assertEqual([o["output_records"] for o in rep["run_outputs"]],
                         [fr.count_pcapng_packets(p) for p in self.outputs])
        self.assertIsNone(rep["unsealed"])

    def test_open_log_is_reported_up_to_its_last_checkpoint(self):
        # As if the second run were still going: its stop entry and closing checkpoint not yet written.
        with open(self.log) as f:
            lines = f.readlines()
        self.assertIn('"type":"stop"', lines[-2])
        lines = lines[:-2]
        last_cp = max(i for i, l in enumerate(lines) if '"type":"checkpoint"' in l)
        sealed_seq = json.loads(lines[last_cp])["seq"]
        left_out = len(lines) - last_cp - 1
        self.assertGreaterEqual(left_out, 1)  # at least output_written
        running = os.path.join(self.d, "running.log")
        with open(running, "w") as f:
            f.writelines(lines)
        verify = subprocess.run([fr.FLOWSIEVE, "audit", "verify", running], capture_output=True, text=True)
        self.assertNotEqual(verify.returncode, 0)  # `audit verify` still calls it truncated
        self.assertIn("truncated", verify.stdout + verify.stderr)
        p = report(running)
        self.assertEqual(p.returncode, 0, p.stderr)
        rep = json.loads(p.stdout)
        self.assertEqual(rep["unsealed"], {"after_seq": sealed_seq, "entries": left_out})
        self.assertIn(f"{left_out} entries after seq {sealed_seq} are not yet sealed", rep["notes"][0])
        self.assertTrue(rep["verification"].startswith(f"sealed up to seq {sealed_seq}"), rep["verification"])
        # The recorder seals every counters entry: all packets of both runs are already in the report.
        self.assert_matches(rep, self.outputs)
        self.assertEqual([o["state"] for o in rep["run_outputs"]], ["stopped", "open"])
        table = report(running, fmt="table").stdout
        self.assertIn(f"NOTE: open log: {left_out} entries after seq {sealed_seq} are not yet sealed", table)
        csv = report(running, fmt="csv").stdout.splitlines()
        self.assertIn(f"unsealed,,,,,,,,,{left_out},after seq {sealed_seq}", csv)
        # An edited entry before the open tail is still refused.
        i = next(i for i, l in enumerate(lines) if '"type":"counters"' in l and '"packets":' in l)
        lines[i] = re.sub(r'"packets":(\d+)', lambda m: f'"packets":{int(m.group(1)) + 1}', lines[i], count=1)
        with open(running, "w") as f:
            f.writelines(lines)
        p = report(running)
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertIn("edited", p.stderr)

    def test_periods_split_the_log_by_run(self):
        # Every entry of run 1 is written before run 2's start entry: [.., start2) is run 1 exactly.
        first = self.json_report("--to", self.run2_start)
        self.assertEqual(first["runs"], 1)
        self.assert_matches(first, self.outputs[:1])
        second = self.json_report("--from", self.run2_start)
        self.assertEqual(second["runs"], 1)
        self.assert_matches(second, self.outputs[1:])
        whole = self.json_report()
        self.assertEqual(first["intervals"] + second["intervals"], whole["intervals"])
        # A period after the log holds nothing.
        empty = self.json_report("--from", "2100-01-01")
        self.assertEqual((empty["intervals"], empty["emitted"], empty["refused"]), (0, [], []))

    def test_refused_authorisation_is_reported(self):
        rep = self.json_report()
        refused = {r["authorisation"]: r for r in rep["refused"]}
        self.assertEqual(set(refused), {"APP-2025-031"})
        self.assertEqual(refused["APP-2025-031"]["count"], 2)  # once per run
        self.assertEqual(refused["APP-2025-031"]["category"], "threat-linked")
        self.assertTrue(any("expired" in why for why in refused["APP-2025-031"]["reasons"]))
        self.assertNotIn("APP-2025-031", {r["authorisation"] for r in rep["emitted"]})
        self.assertEqual(rep["expired"], [])
        self.assertEqual(len(self.json_report("--to", self.run2_start)["refused"]), 1)
        table = report(self.log, fmt="table").stdout
        self.assertRegex(table, r"refused[^\n]*\n\s+APP-2025-031\s+threat-linked\s+2 x")
        csv = report(self.log, fmt="csv").stdout.splitlines()
        self.assertTrue(any(l.startswith("refused,APP-2025-031,threat-linked,") for l in csv))

    def test_no_address_in_any_format(self):
        addrs = addresses_in(self.outputs)
        self.assertGreater(len(addrs), 10)
        dotted = re.compile(r"(?<![\d.])\d{1,3}(\.\d{1,3}){3}(?![\d.])")
        for fmt in ("table", "json", "csv"):
            with self.subTest(format=fmt):
                p = report(self.log, fmt=fmt)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIsNone(dotted.search(p.stdout))
                self.assertEqual([a for a in addrs if a in p.stdout], [])

    def test_formats_agree(self):
        rep = self.json_report()
        csv_rows = [l.split(",") for l in report(self.log, fmt="csv").stdout.splitlines()[1:] if l.startswith("emitted,")]
        self.assertEqual([(r[1], r[2], int(r[3]), int(r[4]), int(r[6])) for r in csv_rows],
                         [(r["authorisation"], r["category"], r["packets"], r["flows"], r["header_bytes"])
                          for r in rep["emitted"]])
        table = report(self.log, fmt="table").stdout
        for r in rep["emitted"]:
            self.assertRegex(table, rf"{re.escape(r['authorisation'])}\s+{r['category']}\s+{r['packets']}\s+{r['flows']}"
                                    rf"\s+{r['header_bytes']}\s+{r['first']}\s+{r['last']}")

    def test_edited_log_is_refused(self):
        with open(self.log) as f:
            lines = f.readlines()
        i = next(i for i, l in enumerate(lines) if '"type":"counters"' in l and '"packets":' in l)
        lines[i] = re.sub(r'"packets":(\d+)', lambda m: f'"packets":{int(m.group(1)) + 1}', lines[i], count=1)
        bad = os.path.join(self.d, "edited.log")
        with open(bad, "w") as f:
            f.writelines(lines)
        p = report(bad)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertIn("edited", p.stderr)
        self.assertIn("refused", p.stderr)

    def test_bad_arguments(self):
        self.assertEqual(report(self.log, "--from", "yesterday").returncode, 2)
        self.assertEqual(report(self.log, "--from", "2026-02-01", "--to", "2026-01-01").returncode, 2)
        self.assertEqual(report(self.log, fmt="xml").returncode, 2)
        self.assertEqual(report(os.path.join(self.d, "missing.log")).returncode, 1)

    def test_unreadable_logs_are_errors_not_crashes(self):
        # A directory, or a device that never ends (once read until memory ran out), named as the
        # log: both commands say why and exit 1.
        for log, why in ((self.d, "is a directory, not a file"), ("/dev/zero", "not a regular file, and longer than")):
            for args in (["report", log], ["audit", "verify", log]):
                p = subprocess.run([fr.FLOWSIEVE] + args, capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode, 1, (args, p.stderr))
                self.assertIn(log + ": " + why, p.stderr, args)


if __name__ == "__main__":
    unittest.main()
