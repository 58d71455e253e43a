# test_generated_traffic.py: the real binary on seeded generated traffic (endpoints from the real world
# table and feeds): the demo covers every category and drop reason; canary (a payload marker never
# reaches the output); non-interference (same headers, other payloads: byte-identical output).
import os
import resource
import signal
import struct
import subprocess
import unittest

import flowsieve_run as fr

# The sets of the demo's live threat rule (lazarus runs under an expired approval: left out so that
# every threat-linked packet the generator intends is one flowsieve may emit).
FEEDS = ["ipsum=tests/data/indicators/ip/ipsum-level3.txt",
         "scanners=tests/data/indicators/ip/maltrail-mass-scanner-cidr.txt"]


def generate(out, packets, seed=7, payload="zero", payload_seed=1, profile="demo"):
    args = [fr.GENERATOR, "--profile", profile, "--seed", str(seed), "--packets", str(packets), "--out", out,
            "--domestic", "JP", "--start", "2021-06-01T00:00:00Z", "--payload", payload, "--payload-seed", str(payload_seed),
            "--operator", "27.113.248.0/22", "--operator", "2001:240:142c::/48"]
    for c in fr.WORLD:
        args += ["--countries", c]
    for f in FEEDS:
        name, path = f.split("=")
        args += ["--indicators", name + "=" + os.path.join(fr.ROOT, path)]
    p = subprocess.run(args, check=True, capture_output=True, text=True)
    return fr.parse_summary(p.stdout)  # the generator's "intended outcome" table


def after_section_header(pcapng):
    """The bytes after a little-endian pcapng file's section header block."""
    assert pcapng[:4] == b"\x0a\x0d\x0d\x0a", "a pcapng file starts with its section header"
    return pcapng[struct.unpack_from("<I", pcapng, 4)[0]:]


class GeneratedTraffic(unittest.TestCase):
    def test_demo_traffic_shows_every_category_and_drop_reason(self):
        with fr.tmpdir() as d:
            cap = os.path.join(d, "demo.pcap")
            intended = generate(cap, 60000)
            out = os.path.join(d, "out.pcapng")
            r = fr.run(fr.demo_config(d), [cap], output=out, timeout=300)
            self.assertEqual(r.rc, 0, r.stderr)
            # Every packet ends exactly as the generator built it to: category or drop reason.
            self.assertGreater(len(intended), 20)
            for name, n in intended.items():
                with self.subTest(outcome=name):
                    self.assertEqual(r.count(name), n)
            for name in ("transit", "operator", "threat-linked", "not_ip", "special_address", "domestic_domestic",
                         "excluded_port", "fragment_no_ports", "no_rule", "unauthorised"):
                with self.subTest(counter=name):
                    self.assertGreater(r.count(name), 0)
            anomalies = [k for k in r.counters if k.startswith("anomaly_")]
            self.assertGreater(sum(1 for k in anomalies if r.count(k) > 0), 10, "the demo exercises most anomalies")
            self.assertEqual(r.count("received"), 60000)
            self.assertEqual(r.count("accounted (emitted + dropped)"), 60000)
            self.assertEqual(r.count("exporter written"), r.emitted())
            # Each parsed packet's verdict came once, from a worker's flow cache or decided; each
            # decided packet's two endpoints were answered once, by the endpoint cache or the tables.
            parsed = 60000 - r.count("not_ip") - sum(r.count(k) for k in anomalies)
            hits, decided = r.cache.get("flow verdicts (cache hits)", 0), r.cache.get("flow verdicts (decided)", 0)
            self.assertEqual(hits + decided, parsed)
            self.assertGreater(hits, parsed // 2, "the generator's flows repeat")
            self.assertEqual(r.cache.get("endpoint lookups (cache hits)", 0) + r.cache.get("endpoint lookups (tables)", 0),
                             2 * decided)
            # Nothing runs under the expired lazarus approval; every record names a live authorisation.
            auths = {fr.comment_fields(c)["auth"] for *_, c in fr.records(out)}
            self.assertEqual(auths, {"APP-2026-001", "CON-example-power-2026", "APP-2026-014"})

    def test_a_full_disk_is_named_and_the_counts_still_reported(self):
        # The output's disk fills mid-run (RLIMIT_FSIZE, SIGXFSZ ignored, as a full disk gives
        # ENOSPC): the run once ended with "not open", the cause and the counters lost.
        with fr.tmpdir() as d:
            cap = os.path.join(d, "demo.pcap")
            generate(cap, 20000)
            out = os.path.join(d, "out", "run.pcapng")
            cfg = fr.demo_config(d)

            def small_files():
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, resource.RLIM_INFINITY))

            p = subprocess.run([fr.FLOWSIEVE, "run", "--config", cfg, "--input", cap, "--output", out],
                               capture_output=True, text=True, timeout=300, preexec_fn=small_files)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn(f"output {out}: {out}.partial: write failed: File too large (discarded)", p.stderr)
            self.assertNotIn("not open", p.stderr)
            self.assertFalse(os.path.exists(out) or os.path.exists(out + ".partial"))
            c = fr.parse_summary(p.stdout)
            self.assertIn(f"flowsieve summary (output: none: the {c['exporter written']} records written went with the "
                          "discarded file)", p.stdout)
            self.assertEqual(c["received"], 20000)
            self.assertEqual(c["accounted (emitted + dropped)"], 20000)
            emitted = sum(c.get(k, 0) for k in ("transit", "operator", "threat-linked"))
            self.assertGreater(c["exporter write errors"], 0)
            self.assertEqual(c.get("exporter written", 0) + c["exporter write errors"], emitted)
            stop = [e for e in fr.audit_entries(os.path.join(d, "audit.log")) if e["type"] == "stop"]
            self.assertEqual(len(stop), 1)
            self.assertIn("File too large", stop[0]["reason"])
            self.assertTrue(stop[0]["balanced"], "the accounting held; only the file is missing")

    def test_canary_marker_never_leaves(self):
        with fr.tmpdir() as d:
            cap = os.path.join(d, "canary.pcap")
            generate(cap, 30000, payload="marker")
            with open(cap, "rb") as f:
                self.assertIn(fr.MARKER, f.read(), "the input must carry the marker")
            for fmt in ("pcapng", "pcap"):
                out = os.path.join(d, "out." + fmt)
                r = fr.run(fr.demo_config(d), [cap], output=out, fmt=fmt, timeout=300)
                self.assertEqual(r.rc, 0, r.stderr)
                self.assertGreater(r.emitted(), 1000)
                with open(out, "rb") as f:
                    data = f.read()
                # Any 6-byte window of the marker would betray payload bytes.
                for i in range(len(fr.MARKER) - 5):
                    self.assertNotIn(fr.MARKER[i:i + 6], data, f"{fmt}: marker bytes {i}..{i + 6} leaked")

    def test_payload_cannot_change_the_output(self):
        with fr.tmpdir() as d:
            outputs = []
            for payload_seed in (1, 2):
                cap = os.path.join(d, f"p{payload_seed}.pcap")
                generate(cap, 30000, payload="random", payload_seed=payload_seed)
                out = os.path.join(d, f"out{payload_seed}.pcapng")
                r = fr.run(fr.demo_config(d), [cap], output=out, timeout=300)
                self.assertEqual(r.rc, 0, r.stderr)
                with open(cap, "rb") as f:
                    outputs.append((f.read(), open(out, "rb").read(), r.counters))
            (in1, out1, c1), (in2, out2, c2) = outputs
            self.assertNotEqual(in1, in2, "the inputs must differ in their payloads")
            self.assertEqual(c1, c2)
            # The section header names when the file was written and when it expires (retention):
            # every block after it must be byte-identical whatever the payloads.
            self.assertEqual(after_section_header(out1), after_section_header(out2),
                             "output must be byte-identical whatever the payloads")
            self.assertGreater(len(after_section_header(out1)), 100000)


if __name__ == "__main__":
    unittest.main()
