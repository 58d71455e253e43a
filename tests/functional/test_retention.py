# test_retention.py: records carry their authority and output files their expiry, through the real
# binary. A copy of config/demo.yaml (signed demo authorisations; audit log, serial state and output
# in a temp dir; retention_days 30) runs on a crafted capture; the `output_written` audit entry must
# name the file's true BLAKE2b-256 and exactly the authorisations its per-packet comments name, the
# pcapng section header and the manifest must carry the same expiry, and `flowsieve retention sweep`
# must keep the file before its expiry, preview its deletion after, refuse a tampered file, a capture
# with a hand-written manifest and an output whose manifest expiry was edited (the audit log records
# neither), and leave an audit log that `flowsieve audit verify` still calls intact. A filter that runs
# for good (output.retention_sweep) sweeps its output directory itself, into its own audit log. A second
# run under the same output name keeps the first run's output (archived name, manifest moved with it,
# `output_kept` in the log), and the sweep still knows both.
# (Deleting a real output at its expiry needs a clock a day later: --now later than the clock only
# previews, and retention_days >= 1; tests/unit/oversight/test_retention.cpp deletes with crafted times.)
import calendar
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import unittest

from scapy.all import IP, TCP, UDP, Ether, wrpcap

import flowsieve_run as fr

FILTER_PUB = os.path.join(fr.ROOT, "config", "keys", "filter-demo.pub")
DAY_NS = 86400 * 10**9
MAWI = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")
RETENTION_DAYS = 30


def ns_of(text):
    """RFC 3339 UTC with up to 9 fraction digits -> ns since the epoch (exact, no float)."""
    assert text.endswith("Z"), text
    base, _, frac = text[:-1].partition(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) * 10**9 + int((frac + "000000000")[:9])


def text_of(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + ".%09dZ" % (ns % 10**9)


def capture(path):
    """Transit (US <-> DE, under APP-2026-001) and operator traffic (US -> example-power, under
    CON-example-power-2026), at packet times inside both windows, plus domestic traffic (dropped)."""
    w = fr.world()
    us, de, jp = w.address_in("US"), w.address_in("DE"), w.address_in("JP")
    power = "27.113.248.10"
    t0 = calendar.timegm((2026, 6, 1, 12, 0, 0))
    pkts = []
    for i in range(6):
        p = Ether() / IP(src=us, dst=de) / TCP(sport=40000 + i, dport=443, flags="S")
        p.time = t0 + i
        pkts.append(p)
    for i in range(4):
        p = Ether() / IP(src=us, dst=power) / UDP(sport=5000 + i, dport=502)
        p.time = t0 + 10 + i
        pkts.append(p)
    p = Ether() / IP(src=jp, dst=power) / TCP(sport=1234, dport=80)
    p.time = t0 + 20
    pkts.append(p)
    wrpcap(path, pkts)




def blake2b_of(path):
    with open(path, "rb") as f:
        return hashlib.blake2b(f.read(), digest_size=32).hexdigest()


def flowsieve(*args):
    return subprocess.run([fr.FLOWSIEVE, *args], capture_output=True, text=True, timeout=120)


def backdated_copy(src, dst, written_ns, days):
    """`src` (a classic pcap output of a real run) and its manifest copied to `dst`, the manifest saying
    the file was written at `written_ns` and expires `days` later: the bytes and content hash are the
    run's, the times are not those its `output_written` entry records, so a sweep must refuse it (an
    edited manifest; the log, not the unsigned manifest, says when an output expires)."""
    if src != dst:
        shutil.copyfile(src, dst)
    with open(src + ".manifest.json") as f:
        m = json.load(f)
    assert m["output_format"] == "pcap", m
    m.update(file=os.path.basename(dst), written=text_of(written_ns), expires=text_of(written_ns + days * DAY_NS))
    with open(dst + ".manifest.json", "w") as f:
        f.write(json.dumps(m, separators=(",", ":")) + "\n")
    return m


class Retention(unittest.TestCase):
    def test_output_is_tied_to_its_authority_and_swept_after_its_expiry(self):
        with fr.tmpdir() as d:
            cfg = fr.demo_config(d, output={"retention_days": RETENTION_DAYS})
            log = os.path.join(d, "audit.log")
            cap = os.path.join(d, "in.pcap")
            capture(cap)
            started = time.time_ns()
            r = fr.run(cfg, [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            out = os.path.join(d, "out", "run.pcapng")
            self.assertEqual(r.count("transit"), 6, r.stdout)
            self.assertEqual(r.count("operator"), 4, r.stdout)

            # What the file itself says: its records' comments name their authorisations.
            records = fr.records(out)
            self.assertEqual(len(records), 10)
            seen = sorted({fr.comment_fields(c)["auth"] for _, _, _, c in records})
            self.assertEqual(seen, ["APP-2026-001", "CON-example-power-2026"])

            # The audit log ties the file, by its true hash, to those authorisations and generation 1.
            entries = fr.audit_entries(log)
            written = [e for e in entries if e["type"] == "output_written"]
            self.assertEqual(len(written), 1, [e["type"] for e in entries])
            w = written[0]
            types = [e["type"] for e in entries]
            self.assertLess(types.index("output_written"), types.index("stop"), "recorded before the run's stop")
            self.assertEqual(w["path"], os.path.normpath(os.path.abspath(out)))
            self.assertEqual(w["blake2b"], blake2b_of(out))
            self.assertEqual(w["bytes"], os.path.getsize(out))
            self.assertEqual(w["records"], 10)
            self.assertEqual(w["authorisations"], seen)
            self.assertEqual(w["generations"], [1])
            gen = [e for e in entries if e["type"] == "generation"]
            self.assertEqual([g["generation"] for g in gen], [1])
            self.assertEqual(ns_of(w["first_packet"]), min(t for t, _, _, _ in records))
            self.assertEqual(ns_of(w["last_packet"]), max(t for t, _, _, _ in records))
            # Expiry: retention_days after the file was written (during this run).
            written_ns, expires_ns = ns_of(w["written"]), ns_of(w["expires"])
            self.assertEqual(expires_ns - written_ns, RETENTION_DAYS * DAY_NS)
            self.assertTrue(started <= written_ns <= time.time_ns())

            # The manifest beside the file says the same; the pcapng section header carries the expiry.
            with open(out + ".manifest.json") as f:
                m = json.load(f)
            self.assertEqual(m["format"], "flowsieve-output-manifest-1")
            for k in ("file", "blake2b", "bytes", "records", "written", "expires", "generations", "authorisations"):
                self.assertEqual(m[k], w[k], k)
            info = subprocess.run(["capinfos", "-k", out], capture_output=True, text=True).stdout
            self.assertIn("flowsieve-output-1 written=", info)
            label_expiry = info.split("expires=", 1)[1].split()[0]
            self.assertEqual(ns_of(label_expiry), expires_ns)

            # Something in the directory that is not flowsieve's: never touched.
            notes = os.path.join(d, "out", "notes.txt")
            with open(notes, "w") as f:
                f.write("not an output\n")

            # Before the expiry (now): kept, and the sweep is recorded as a run of its own.
            before = flowsieve("retention", "sweep", os.path.join(d, "out"), "--config", cfg)
            self.assertEqual(before.returncode, 0, before.stdout + before.stderr)
            self.assertIn("0 deleted", before.stdout)
            self.assertTrue(os.path.exists(out))
            self.assertEqual([e for e in fr.audit_entries(log) if e["type"] == "retention_deleted"], [])

            # A dry run at the expiry deletes nothing and writes nothing to the log; without --config it
            # says that it did not consult the log, with --config the log records the file: it would go.
            n_lines = len(fr.audit_entries(log))
            dry = flowsieve("retention", "sweep", os.path.join(d, "out"), "--now", text_of(expires_ns), "--dry-run")
            self.assertEqual(dry.returncode, 0, dry.stdout + dry.stderr)
            self.assertIn("1 would be deleted", dry.stdout)
            self.assertIn("audit log: not consulted", dry.stdout)
            dry = flowsieve("retention", "sweep", os.path.join(d, "out"), "--config", cfg, "--now", text_of(expires_ns),
                            "--dry-run")
            self.assertEqual(dry.returncode, 0, dry.stdout + dry.stderr)
            self.assertIn("1 would be deleted", dry.stdout)
            self.assertNotIn("not consulted", dry.stdout)
            self.assertTrue(os.path.exists(out))
            self.assertEqual(len(fr.audit_entries(log)), n_lines)

            # A capture flowsieve never wrote, with a hand-written manifest (its true hash, an expiry
            # already past): the manifest is unsigned, the audit log records no such output: kept.
            foreign = os.path.join(d, "out", "foreign.pcap")
            shutil.copyfile(cap, foreign)
            forged = {k: v for k, v in m.items() if k not in ("first_packet", "last_packet")}
            now = time.time_ns()
            forged.update(file="foreign.pcap", output_format="pcap", blake2b=blake2b_of(foreign),
                          bytes=os.path.getsize(foreign), records=11, written=text_of(now - 2 * DAY_NS),
                          expires=text_of(now - DAY_NS))
            with open(foreign + ".manifest.json", "w") as f:
                f.write(json.dumps(forged, separators=(",", ":")) + "\n")
            s = flowsieve("retention", "sweep", os.path.join(d, "out"), "--config", cfg)
            self.assertEqual(s.returncode, 1, s.stdout + s.stderr)
            self.assertIn("not recorded in the audit log", s.stdout)
            self.assertIn("0 deleted", s.stdout)
            self.assertTrue(os.path.exists(foreign) and os.path.exists(foreign + ".manifest.json"))
            self.assertTrue(os.path.exists(out))
            self.assertTrue(os.path.exists(notes))
            self.assertEqual([e for e in fr.audit_entries(log) if e["type"] == "retention_deleted"], [])
            refused = [e for e in fr.audit_entries(log) if e["type"] == "retention_refused"]
            self.assertEqual(len(refused), 1)
            self.assertEqual(refused[0]["path"], os.path.normpath(os.path.abspath(foreign)))
            self.assertIn("not recorded in the audit log", refused[0]["reason"])

            v = flowsieve("audit", "verify", log, "--key", FILTER_PUB)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
            self.assertIn("intact", v.stdout)

    def test_an_expired_output_recorded_in_the_log_is_deleted_and_the_deletion_recorded(self):
        with fr.tmpdir() as d:
            # retention_days 0: the output expires as soon as it is written, so the sweep judges it by
            # the clock like any other (a --now later than the clock may only preview).
            cfg = fr.demo_config(d, output={"retention_days": 0})
            log = os.path.join(d, "audit.log")
            cap = os.path.join(d, "in.pcap")
            capture(cap)
            r = fr.run(cfg, [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            out = os.path.join(d, "out", "run.pcapng")
            written = [e for e in fr.audit_entries(log) if e["type"] == "output_written"]
            self.assertEqual(len(written), 1)
            early = flowsieve("retention", "sweep", os.path.join(d, "out"), "--config", cfg, "--now", "2099-01-01")
            self.assertEqual(early.returncode, 2, early.stdout + early.stderr)
            self.assertIn("later than the clock", early.stderr)
            self.assertTrue(os.path.exists(out))

            s = flowsieve("retention", "sweep", os.path.join(d, "out"), "--config", cfg)
            self.assertEqual(s.returncode, 0, s.stdout + s.stderr)
            self.assertIn("1 deleted", s.stdout)
            self.assertFalse(os.path.exists(out) or os.path.exists(out + ".manifest.json"))
            deleted = [e for e in fr.audit_entries(log) if e["type"] == "retention_deleted"]
            self.assertEqual(len(deleted), 1)
            self.assertEqual(deleted[0]["path"], written[0]["path"])
            self.assertEqual(deleted[0]["blake2b"], written[0]["blake2b"])
            self.assertEqual(deleted[0]["expires"], written[0]["expires"])
            v = flowsieve("audit", "verify", log, "--key", FILTER_PUB)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_classic_pcap_gets_a_manifest_and_a_tampered_file_is_kept(self):
        with fr.tmpdir() as d:
            cfg = fr.demo_config(d, output={"retention_days": RETENTION_DAYS})
            log = os.path.join(d, "audit.log")
            cap = os.path.join(d, "in.pcap")
            capture(cap)
            out = os.path.join(d, "out", "run.pcap")
            r = fr.run(cfg, [cap], output=out, fmt="pcap")
            self.assertEqual(r.rc, 0, r.stderr)
            with open(out + ".manifest.json") as f:
                m = json.load(f)
            self.assertEqual(m["output_format"], "pcap")
            self.assertEqual(m["blake2b"], blake2b_of(out))
            self.assertEqual(m["authorisations"], ["APP-2026-001", "CON-example-power-2026"])
            # Its manifest's expiry brought forward to the past (a classic pcap carries no expiry of its
            # own; --now later than the clock only previews), and one bit of a record changed after the
            # fact: expired by its manifest, but not provably flowsieve's file.
            early = dict(m, expires=text_of(time.time_ns() - DAY_NS))
            with open(out + ".manifest.json", "w") as f:
                f.write(json.dumps(early, separators=(",", ":")) + "\n")
            with open(out, "r+b") as f:
                f.seek(-3, os.SEEK_END)
                b = f.read(1)
                f.seek(-3, os.SEEK_END)
                f.write(bytes([b[0] ^ 1]))

            def sweep_refuses(why):
                """A sweep that keeps the output and says why; the log's refusals so far."""
                s = flowsieve("retention", "sweep", os.path.join(d, "out"), "--config", cfg)
                self.assertEqual(s.returncode, 1, s.stdout + s.stderr)
                self.assertIn(why, s.stdout)
                self.assertTrue(os.path.exists(out))
                return [e for e in fr.audit_entries(log) if e["type"] == "retention_refused"]

            refused = sweep_refuses("content hash")
            self.assertEqual(len(refused), 1)
            self.assertEqual(refused[0]["found"], blake2b_of(out))
            self.assertEqual(refused[0]["blake2b"], m["blake2b"])
            # The bytes restored, the manifest's expiry still the edited one: the log recorded this output
            # with its real expiry: kept.
            with open(out, "r+b") as f:
                f.seek(-3, os.SEEK_END)
                f.write(b)
            self.assertEqual(blake2b_of(out), m["blake2b"])
            refused = sweep_refuses("not recorded in the audit log")
            self.assertEqual(len(refused), 2)
            self.assertEqual(refused[1]["expires"], early["expires"])
            self.assertEqual([e for e in fr.audit_entries(log) if e["type"] == "retention_deleted"], [])
            v = flowsieve("audit", "verify", log, "--key", FILTER_PUB)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_a_running_filter_sweeps_its_own_expired_outputs(self):
        with fr.tmpdir() as d:
            out_dir = os.path.join(d, "out")
            log = os.path.join(d, "audit.log")
            # An earlier run (same audit log) leaves a classic pcap; its manifest is then dated two years
            # back with retention_days 1: expired by its manifest, but not as the log recorded it.
            cfg = fr.demo_config(d, output={"retention_days": 1})
            cap = os.path.join(d, "in.pcap")
            capture(cap)
            old = os.path.join(out_dir, "old.pcap")
            r = fr.run(cfg, [cap], output=old, fmt="pcap")
            self.assertEqual(r.rc, 0, r.stderr)
            long_ago = time.time_ns() - 2 * 365 * DAY_NS
            old_m = backdated_copy(old, old, long_ago, 1)
            # An expired output of that age under the very name the running filter writes to: the
            # filter must never sweep its own output, manifest or not.
            live = os.path.join(out_dir, "live.pcap")
            backdated_copy(old, live, long_ago, 1)
            with open(live, "rb") as f:
                live_bytes = f.read()
            notes = os.path.join(out_dir, "notes.txt")
            with open(notes, "w") as f:
                f.write("not an output\n")

            # The filter that never stops: endless input (net_pcap infinite_rx), a sweep every second of
            # its output directory (the default DIR).
            with open(cfg) as f:
                c = json.load(f)
            c.pop("input", None)
            c["dpdk"] = {"eal": [f"--vdev=net_pcap0,rx_pcap={MAWI},infinite_rx=1"], "mbufs": 32767,
                         "time_source": "clock"}
            c["output"] = {"path": live, "format": "pcap", "retention_days": 1, "retention_sweep": {"interval_s": 1}}
            live_cfg = os.path.join(d, "live.yaml")
            with open(live_cfg, "w") as f:
                json.dump(c, f, indent=1)
            n_before = len(fr.audit_entries(log))
            p = subprocess.Popen([fr.FLOWSIEVE, "run", "--config", live_cfg], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            try:
                t0 = time.time()
                while (not any(e["type"] == "retention_refused" for e in fr.complete_audit_entries(log)[n_before:])
                       and time.time() - t0 < 90 and p.poll() is None):  # a sanitized build starts slowly
                    time.sleep(0.2)
                self.assertTrue(any(e["type"] == "retention_refused" for e in fr.complete_audit_entries(log)[n_before:]),
                                "the running filter swept within 90 s")
                time.sleep(2.5)  # two more sweeps: the refusal must not be recorded again
                self.assertIsNone(p.poll(), "the filter must still be running")
                self.assertTrue(os.path.exists(old), "an output the log does not record as expired was deleted")
                self.assertTrue(os.path.exists(old + ".manifest.json"))
                # Its own output: the old file under its name untouched, the one being written there.
                with open(live, "rb") as f:
                    self.assertEqual(f.read(), live_bytes)
                self.assertTrue(os.path.exists(live + ".manifest.json"))
                self.assertTrue(os.path.exists(live + ".partial"), "the output being written")
                self.assertTrue(os.path.exists(notes))
                # The command cannot sweep while the filter holds the log, and says what to do instead.
                cmd = flowsieve("retention", "sweep", out_dir, "--config", live_cfg)
                self.assertEqual(cmd.returncode, 1, cmd.stdout + cmd.stderr)
                self.assertIn("locked by another flowsieve process", cmd.stderr)
                self.assertIn("output.retention_sweep", cmd.stderr)
            finally:
                p.send_signal(signal.SIGTERM)
                out, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, err)
            self.assertRegex(err, r"retention sweep \S+: 0 deleted, 1 refused")
            self.assertIn("not recorded in the audit log", err)
            self.assertIn("accounting identity holds", err)

            # The refusal is in the filter's own run, between its start and its stop, recorded once
            # although the filter swept every second.
            entries = fr.audit_entries(log)[n_before:]
            types = [e["type"] for e in entries]
            self.assertEqual(types.count("start"), 1, types)
            self.assertEqual(types.count("stop"), 1, types)
            self.assertNotIn("retention_deleted", types)
            refused = [i for i, t in enumerate(types) if t == "retention_refused"]
            self.assertEqual(len(refused), 1, types)
            self.assertLess(types.index("start"), refused[0])
            self.assertLess(refused[0], types.index("stop"))
            e = entries[refused[0]]
            self.assertEqual(e["path"], os.path.normpath(os.path.abspath(old)))
            self.assertEqual(e["blake2b"], old_m["blake2b"])
            self.assertEqual(e["expires"], old_m["expires"])
            self.assertIn("not recorded in the audit log", e["reason"])
            self.assertTrue(os.path.exists(old))
            # At the stop the new output took the name, with its own manifest; the old file there was kept
            # under an archived name (its manifest's written time), its bytes and manifest with it.
            with open(live + ".manifest.json") as f:
                m = json.load(f)
            self.assertEqual(m["blake2b"], blake2b_of(live))
            kept = os.path.join(out_dir, "live." + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(long_ago // 10**9)) + ".pcap")
            self.assertIn(f"earlier output {live} kept as {kept}", err)
            with open(kept, "rb") as f:
                self.assertEqual(f.read(), live_bytes)
            with open(kept + ".manifest.json") as f:
                self.assertEqual(json.load(f)["file"], os.path.basename(kept))
            self.assertEqual(ns_of(m["expires"]) - ns_of(m["written"]), DAY_NS)
            self.assertTrue(os.path.exists(notes))
            v = flowsieve("audit", "verify", log, "--key", FILTER_PUB)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
            self.assertIn("intact", v.stdout)

    def test_a_second_run_keeps_the_first_runs_output(self):
        """The same config run twice: the first output is kept under an archived name (its manifest's
        written time) with its manifest, never replaced, and the sweep still knows both files."""
        with fr.tmpdir() as d:
            cfg = fr.demo_config(d, output={"retention_days": RETENTION_DAYS})
            log = os.path.join(d, "audit.log")
            cap = os.path.join(d, "in.pcap")
            capture(cap)
            out = os.path.join(d, "out", "run.pcapng")
            first = fr.run(cfg, [cap])
            self.assertEqual(first.rc, 0, first.stderr)
            with open(out, "rb") as f:
                first_bytes = f.read()
            first_hash = blake2b_of(out)
            # A run that crashed leaves a partial output behind: incomplete, discarded with a warning.
            with open(out + ".partial", "wb") as f:
                f.write(b"crashed mid-run")
            second = fr.run(cfg, [cap])
            self.assertEqual(second.rc, 0, second.stderr)
            self.assertIn(f"an incomplete earlier output {out}.partial (15 bytes, never committed) is discarded",
                          second.stderr)

            written = [e for e in fr.audit_entries(log) if e["type"] == "output_written"]
            self.assertEqual(len(written), 2)
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ns_of(written[0]["written"]) // 10**9))
            kept = os.path.join(d, "out", f"run.{stamp}.pcapng")
            self.assertIn(f"earlier output {out} kept as {kept}", second.stderr)
            self.assertEqual(sorted(os.listdir(os.path.join(d, "out"))),
                             sorted([os.path.basename(p) for p in (out, out + ".manifest.json", kept, kept + ".manifest.json")]))
            # The first run's bytes, unchanged; the second's under the configured name; both as recorded.
            with open(kept, "rb") as f:
                self.assertEqual(f.read(), first_bytes)
            self.assertEqual(written[0]["blake2b"], first_hash)
            self.assertEqual(written[1]["blake2b"], blake2b_of(out))
            self.assertNotEqual(first_hash, blake2b_of(out))
            self.assertEqual(len(fr.records(out)), 10)
            with open(kept + ".manifest.json") as f:
                km = json.load(f)
            self.assertEqual(km["file"], os.path.basename(kept))
            self.assertEqual(km["blake2b"], first_hash)
            self.assertEqual(km["expires"], written[0]["expires"])
            with open(out + ".manifest.json") as f:
                self.assertEqual(json.load(f)["blake2b"], blake2b_of(out))
            # The log follows the first output to its new name.
            moves = [e for e in fr.audit_entries(log) if e["type"] == "output_kept"]
            self.assertEqual(len(moves), 1)
            self.assertEqual(moves[0]["path"], os.path.normpath(os.path.abspath(out)))
            self.assertEqual(moves[0]["kept_as"], os.path.normpath(os.path.abspath(kept)))
            self.assertEqual(moves[0]["blake2b"], first_hash)
            v = flowsieve("audit", "verify", log, "--key", FILTER_PUB)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
            self.assertIn("intact", v.stdout)

            # The sweep knows both by manifest and log: kept now, both due at the later expiry.
            s = flowsieve("retention", "sweep", os.path.join(d, "out"), "--config", cfg, "--dry-run")
            self.assertEqual(s.returncode, 0, s.stdout + s.stderr)
            self.assertIn("2 kept (not expired), 0 not flowsieve output, 0 bad manifest, 0 refused", s.stdout)
            self.assertNotIn("no manifest speaks for it", s.stdout)
            s = flowsieve("retention", "sweep", os.path.join(d, "out"), "--config", cfg, "--dry-run", "--now",
                          written[1]["expires"])
            self.assertEqual(s.returncode, 0, s.stdout + s.stderr)
            self.assertIn("2 would be deleted", s.stdout)

    def test_an_earlier_file_that_cannot_be_moved_aside_stays_and_the_output_goes_beside_it(self):
        """Something under the output's name that is not a file it may move (here a directory): it stays
        untouched, the run's output is committed beside it under an archived name, said at error level
        (exit 1), and the manifest and the log name where it really is."""
        with fr.tmpdir() as d:
            cfg = fr.demo_config(d, output={"retention_days": RETENTION_DAYS})
            log = os.path.join(d, "audit.log")
            cap = os.path.join(d, "in.pcap")
            capture(cap)
            out = os.path.join(d, "out", "run.pcapng")
            os.makedirs(out)
            with open(os.path.join(out, "inside.txt"), "w") as f:
                f.write("keep me\n")
            r = fr.run(cfg, [cap])
            self.assertEqual(r.rc, 1, r.stderr)
            self.assertIn("could not be moved aside", r.stderr)
            self.assertIn("[error]", r.stderr)
            with open(os.path.join(out, "inside.txt")) as f:
                self.assertEqual(f.read(), "keep me\n")
            written = [e for e in fr.audit_entries(log) if e["type"] == "output_written"]
            self.assertEqual(len(written), 1)
            beside = written[0]["path"]
            self.assertRegex(os.path.basename(beside), r"^run\.\d{8}T\d{6}Z\.pcapng$")
            self.assertEqual(os.path.dirname(beside), os.path.normpath(os.path.abspath(os.path.join(d, "out"))))
            self.assertIn(f"this run's output is {beside} instead", r.stderr)
            self.assertEqual(blake2b_of(beside), written[0]["blake2b"])
            self.assertEqual(len(fr.records(beside)), 10)
            with open(beside + ".manifest.json") as f:
                self.assertEqual(json.load(f)["file"], os.path.basename(beside))
            self.assertFalse(os.path.exists(out + ".partial"))
            self.assertEqual([e for e in fr.audit_entries(log) if e["type"] == "output_kept"], [])

    def test_an_output_whose_manifest_cannot_be_written_is_still_recorded(self):
        """The output is complete but its manifest cannot be written (a full disk; here a directory at
        the manifest's partial name): the run fails (exit 1) and says the output is complete, and the
        audit log still records the output (its hash and authorisations) and why the run failed, so
        that `report` accounts for its packets. The log had no output_written entry and its stop entry
        said "input finished"."""
        with fr.tmpdir() as d:
            cfg = fr.demo_config(d, output={"retention_days": RETENTION_DAYS})
            log = os.path.join(d, "audit.log")
            cap = os.path.join(d, "in.pcap")
            capture(cap)
            out = os.path.join(d, "out", "run.pcapng")
            os.makedirs(out + ".manifest.json.partial")
            r = fr.run(cfg, [cap])
            self.assertEqual(r.rc, 1, r.stderr)
            self.assertIn(f"(the output {out} is complete, but a retention sweep never deletes it without its manifest)",
                          r.stderr)
            self.assertEqual(len(fr.records(out)), 10)
            self.assertFalse(os.path.exists(out + ".manifest.json"))
            entries = fr.audit_entries(log)
            written = [e for e in entries if e["type"] == "output_written"]
            self.assertEqual(len(written), 1)
            self.assertEqual(written[0]["blake2b"], blake2b_of(out))
            stop = [e for e in entries if e["type"] == "stop"][-1]
            self.assertTrue(stop["reason"].startswith("error: output manifest: "), stop)
            rep = flowsieve("report", log, "--key", FILTER_PUB)
            self.assertEqual(rep.returncode, 0, rep.stderr)
            self.assertNotIn("in no complete output", rep.stdout)

    def test_usage_and_errors(self):
        with fr.tmpdir() as d:
            self.assertEqual(flowsieve("retention", "sweep", d).returncode, 2, "deleting needs --config")
            self.assertEqual(flowsieve("retention", "sweep", d, "--dry-run", "--now", "soon").returncode, 2)
            missing = flowsieve("retention", "sweep", os.path.join(d, "missing"), "--dry-run")
            self.assertEqual(missing.returncode, 1)
            self.assertIn("not a directory", missing.stderr)
            # A config without an audit section cannot record deletions: refused.
            cfg = fr.base_config(d, [], [])
            p = flowsieve("retention", "sweep", d, "--config", cfg)
            self.assertEqual(p.returncode, 1)
            self.assertIn("no audit section", p.stderr)


if __name__ == "__main__":
    unittest.main()
