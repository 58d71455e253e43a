# test_lifecycle.py: the binary as an operator runs it: live input on a net_pcap vdev until SIGTERM
# (drain, flush, no mbuf leak), SIGHUP reloads (a bad config is refused, the old snapshot stays),
# check-config and lookup.
import json
import os
import re
import signal
import subprocess
import threading
import time
import unittest

import flowsieve_run as fr

MAWI = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")


def live_config(d, valid_until="2100-01-01T00:00:00Z"):
    auths = [fr.authorisation("APP-T", "approval", "transit", "2020-01-01T00:00:00Z", valid_until)]
    rules = [{"id": "t", "category": "transit", "between": ["foreign", "foreign"], "authorisation": "APP-T"}]
    # infinite_rx replays the capture from memory forever: a live source that only a signal stops.
    extra = {"dpdk": {"eal": [f"--vdev=net_pcap0,rx_pcap={MAWI},infinite_rx=1"], "mbufs": 32767,
                      "time_source": "clock"},
             "output": {"path": os.path.join(d, "live.pcapng")}, "stats": {"interval_s": 1}}
    return fr.base_config(d, auths, rules, extra=extra)


def start(cfg, stderr_path, extra_args=()):
    """The filter, its log (stderr) going to a file the test can read while it runs."""
    with open(stderr_path, "w") as errf:
        return subprocess.Popen([fr.FLOWSIEVE, "run", "--config", cfg, *extra_args], stdout=subprocess.PIPE, stderr=errf,
                                text=True)


def wait_for(path_or_fn, timeout=30):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if path_or_fn():
            return True
        time.sleep(0.2)
    return False


def received_so_far(stderr_path):
    """The latest rx= figure of the filter's stats lines (0 before the first)."""
    with open(stderr_path) as f:
        text = f.read()
    # Complete lines only: a line still being written may hold the first digits of a figure.
    found = re.findall(r"\brx=(\d+)", text[:text.rfind("\n") + 1])
    return int(found[-1]) if found else 0


class Lifecycle(unittest.TestCase):
    def test_sigterm_drains_and_exits_cleanly(self):
        with fr.tmpdir() as d:
            cfg = live_config(d)
            log = os.path.join(d, "stderr.txt")
            p = start(cfg, log)
            # Under load (not after a fixed sleep): past one loop of the 10k-packet capture, as the
            # once-a-second stats lines say; a slow sanitized build on a busy machine gets there later.
            self.assertTrue(wait_for(lambda: received_so_far(log) > 10000, timeout=60),
                            "infinite_rx should loop the capture")
            self.assertIsNone(p.poll(), "a live run must not end by itself")
            t0 = time.time()
            p.send_signal(signal.SIGTERM)
            out, _ = p.communicate(timeout=30)
            took = time.time() - t0
            with open(log) as f:
                err = f.read()
            self.assertEqual(p.returncode, 0, err)
            print(f"SIGTERM to exit: {took:.3f} s")
            # Within a second; an ASan+UBSan build gets three (its exit alone takes a good part of one).
            limit = 3.0 if os.environ.get("FLOWSIEVE_SANITIZED") == "1" else 1.0
            self.assertLess(took, limit, "SIGTERM under load must end the run within a second")
            self.assertIn("accounting identity holds", err)
            self.assertRegex(err, r"mbufs in use: (\d+) at start, \1 at exit")
            # MAWI's records are cut at 96 bytes, and net_pcap calls that their length.
            self.assertIn("cut by the capture's snap length", err)
            counters = fr.parse_summary(out)
            self.assertGreater(counters["received"], 10000, "infinite_rx should loop the capture")
            self.assertEqual(counters["received"], counters["accounted (emitted + dropped)"])
            emitted = counters["transit"]
            self.assertGreater(emitted, 0)
            self.assertEqual(counters["exporter written"], emitted)
            self.assertEqual(fr.count_pcapng_packets(os.path.join(d, "live.pcapng")), emitted)
            self.assertEqual([f for f in os.listdir(d) if f.startswith("live.pcapng.")], ["live.pcapng.manifest.json"],
                             "no temporary file left; the manifest (retention) beside the output")

    def test_a_pipe_on_a_net_pcap_port_is_warned_about_and_filtered(self):
        """A capture streamed into a net_pcap port through a FIFO (`tcpdump -w FIFO`, a pipe from
        another tool): its link type cannot be read before the port reads it, so the filter says so
        (README, "Running on a NIC") and filters every packet that comes."""
        with fr.tmpdir() as d:
            fifo = os.path.join(d, "stream.pcap")
            os.mkfifo(fifo)
            with open(live_config(d)) as f:
                cfg = json.load(f)
            cfg["dpdk"]["eal"] = [f"--vdev=net_pcap0,rx_pcap={fifo}"]  # read once, then the port idles
            with open(os.path.join(d, "config.yaml"), "w") as f:
                json.dump(cfg, f)

            def stream():
                try:
                    with open(fifo, "wb") as w:  # blocks until net_pcap opens the FIFO
                        with open(MAWI, "rb") as r:
                            w.write(r.read())
                except BrokenPipeError:
                    pass
            writer = threading.Thread(target=stream, daemon=True)
            writer.start()
            log = os.path.join(d, "stderr.txt")
            p = start(os.path.join(d, "config.yaml"), log)

            def release():  # a writer still waiting for a reader: give it one, so that it ends
                if writer.is_alive():
                    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
                if p.poll() is None:
                    p.kill()
                    p.communicate()
            self.addCleanup(release)
            packets = fr.count_pcap_packets(MAWI)
            self.assertTrue(wait_for(lambda: received_so_far(log) == packets or p.poll() is not None, timeout=60),
                            "the stream's packets should all arrive")
            self.assertIsNone(p.poll(), "a live port runs until stopped, its stream ended or not")
            p.send_signal(signal.SIGTERM)
            out, _ = p.communicate(timeout=30)
            with open(log) as f:
                err = f.read()
            self.assertEqual(p.returncode, 0, err)
            self.assertIn(f"(net_pcap0): rx_pcap={fifo}: its link type cannot be checked (a pipe or device", err)
            counters = fr.parse_summary(out)
            self.assertEqual(counters["received"], packets)
            self.assertEqual(counters["accounted (emitted + dropped)"], packets)
            self.assertGreater(counters["transit"], 0)
            self.assertEqual(fr.count_pcapng_packets(os.path.join(d, "live.pcapng")), counters["transit"])

    def test_sighup_reload_refuses_a_bad_config_and_applies_a_good_one(self):
        with fr.tmpdir() as d:
            cfg = live_config(d)
            log = os.path.join(d, "stderr.txt")
            # --output overrides the config's output: a reload must not call that a change.
            p = start(cfg, log, ["--output", os.path.join(d, "cli.pcapng")])
            said = lambda text: text in open(log).read()
            # Each step waits for what the filter says (a sanitized build on a busy machine is slow).
            self.assertTrue(wait_for(lambda: received_so_far(log) > 0, timeout=60), "generation 1 runs")
            with open(cfg) as f:
                good = json.load(f)
            bad = dict(good, rules=[dict(good["rules"][0], between=["domestic", "domestic"])])
            with open(cfg, "w") as f:
                json.dump(bad, f)
            p.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: said("reload refused"), timeout=60), open(log).read())
            self.assertIsNone(p.poll(), "a refused reload must not stop the filter")
            # A good reload: the approval now ended in the past, so emission must stop.
            auth_path = good["authorisations"][0]
            with open(auth_path) as f:
                auth = json.load(f)
            auth["valid_until"] = "2021-01-01T00:00:00Z"
            with open(auth_path, "w") as f:
                json.dump(auth, f)
            # ...with a ring size the running data path cannot take on: said, not silently ignored.
            good["dpdk"] = dict(good["dpdk"], ring_size=2048)
            with open(cfg, "w") as f:
                json.dump(good, f)
            p.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: said("generation 2 published"), timeout=60), open(log).read())
            at_reload = received_so_far(log)
            self.assertTrue(wait_for(lambda: received_so_far(log) > at_reload, timeout=60), "generation 2 runs")
            p.send_signal(signal.SIGTERM)
            out, _ = p.communicate(timeout=30)
            err = open(log).read()
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("reload refused, generation 1 stays", err)
            self.assertIn("domestic-to-domestic traffic is never in scope", err)
            self.assertIn("reload: generation 2 published", err)
            self.assertIn("reload: dpdk (pool, burst, rings, caches, time_source) changed in", err)
            self.assertNotIn("dpdk.eal", err)  # what did not change is not named
            self.assertNotIn("output changed", err)
            self.assertNotIn("output,", err)
            counters = fr.parse_summary(out)
            self.assertGreater(counters["transit"], 0, "generation 1 emitted")
            self.assertGreater(counters["unauthorised"], 0, "generation 2 refused what generation 1 emitted")

    def test_signals_during_start_up_are_answered_not_fatal(self):
        # The start-up (world table, feeds, the EAL) takes seconds; a reload or stop sent meanwhile
        # (a service manager's ExecReload) used to kill the filter silently, its audit log left
        # without a stop. Sent as soon as the log has its start entry, i.e. during the table build.
        with fr.tmpdir() as d:
            cfg = fr.demo_config(d, output={"path": os.path.join(d, "out", "run.pcapng")})
            log = os.path.join(d, "audit.log")
            err = os.path.join(d, "stderr.txt")
            with open(err, "w") as errf:
                p = subprocess.Popen([fr.FLOWSIEVE, "run", "--config", cfg, "--input", MAWI],
                                     stdout=subprocess.PIPE, stderr=errf, text=True)
            try:
                t0 = time.time()  # polled closely: the table build after the start entry takes a fraction of a second
                while not (os.path.exists(log) and any(e["type"] == "start" for e in fr.complete_audit_entries(log))):
                    self.assertLess(time.time() - t0, 60)
                    time.sleep(0.002)
                p.send_signal(signal.SIGHUP)
                p.send_signal(signal.SIGINT)
                p.communicate(timeout=120)
            finally:
                if p.poll() is None:
                    p.kill()
            with open(err) as f:
                stderr = f.read()
            self.assertEqual(p.returncode, 0, stderr)
            entries = fr.audit_entries(log)
            self.assertEqual([e["type"] for e in entries][-2:], ["stop", "checkpoint"], stderr)
            self.assertEqual(entries[-2]["reason"], "signal")
            self.assertIn("stopped by a signal during start-up, before any packet was read", stderr)
            self.assertFalse(any(e["type"] in ("counters", "output_written") for e in entries))
            v = subprocess.run([fr.FLOWSIEVE, "audit", "verify", log], capture_output=True, text=True)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_every_command_line_of_the_readme_is_in_the_help(self):
        """The README's command list, line by line, in `flowsieve --help` or the command's own --help
        (each exits 0 with its usage on stdout; check-config and lookup took --help for a file name
        and an address, and subcommands answered --help with a usage error)."""
        with open(os.path.join(fr.ROOT, "README.md")) as f:
            readme = f.read()
        block = readme[readme.index("## Commands"):]
        lines = [line.strip() for line in block[:block.index("\n- ")].splitlines() if line.startswith("    flowsieve")]
        self.assertGreater(len(lines), 8)
        helps = ""
        for cmd in ([], ["run"], ["check-config"], ["lookup"], ["authority"], ["audit"], ["report"], ["retention"]):
            p = subprocess.run([fr.FLOWSIEVE] + cmd + ["--help"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, f"{cmd} --help: {p.stderr}")
            self.assertTrue(p.stdout.startswith("usage"), f"{cmd} --help: {p.stdout}")
            helps += p.stdout
        # --help anywhere before "--", after other arguments too (one that would fail otherwise):
        # usage on stdout, exit 0, nothing done. After "--" it belongs to the EAL.
        for cmd in (["authority", "sign"], ["authority", "verify", "x"], ["audit", "verify"], ["retention", "sweep"],
                    ["report", "no-such-log"], ["run", "--config", "no-such.yaml"], ["--config", "no-such.yaml"],
                    ["check-config", "a", "b"], ["lookup", "1.2.3.4"]):
            for flag in ("--help", "-h"):
                p = subprocess.run([fr.FLOWSIEVE] + cmd + [flag], capture_output=True, text=True)
                self.assertEqual((p.returncode, p.stderr), (0, ""), f"{cmd} {flag}")
                self.assertTrue(p.stdout.startswith("usage"), f"{cmd} {flag}: {p.stdout}")
        p = subprocess.run([fr.FLOWSIEVE, "run", "--config", "no-such.yaml", "--", "-h"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("no-such.yaml", p.stderr)
        # An option that takes one value, given twice: a usage error naming it, nothing done (the last
        # value used to win silently: `sign --key A --key B` signed with B alone).
        for cmd in (["authority", "sign", "a.yaml", "--key", "x.key", "--key", "y.key"],
                    ["run", "--config", "a.yaml", "--config", "b.yaml"], ["--config", "a.yaml", "--output", "o", "--output", "p"],
                    ["report", "a.log", "--format", "json", "--format", "csv"], ["lookup", "1.2.3.4", "--config", "a", "--config", "b"],
                    ["retention", "sweep", "d", "--now", "2026-01-01", "--now", "2026-01-02"]):
            p = subprocess.run([fr.FLOWSIEVE] + cmd, capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, f"{cmd}: {p.stderr}")
            self.assertIn(f"{cmd[-2]} given twice", p.stderr, cmd)
        for line in lines:
            with self.subTest(line=line):
                self.assertIn(line, helps)

    def test_check_config_reports_file_line_key(self):
        with fr.tmpdir() as d:
            cfg = os.path.join(d, "bad.yaml")
            with open(cfg, "w") as f:
                f.write("domestic: [JP]\ncountries:\n  files: [%s]\ndpdk:\n  ring_size: 1000\n" % fr.WORLD[0])
            p = subprocess.run([fr.FLOWSIEVE, "check-config", cfg], capture_output=True, text=True)
            self.assertEqual(p.returncode, 1)
            self.assertIn(f"{cfg}:5: dpdk.ring_size: 1000 is not a power of two", p.stderr)
            p = subprocess.run([fr.FLOWSIEVE, "check-config", os.path.join(fr.ROOT, "config", "demo.yaml")],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            # An output named as the other format is warned about (and still OK).
            named = os.path.join(d, "named.yaml")
            with open(named, "w") as f:
                f.write("domestic: [JP]\ncountries:\n  files: [%s]\noutput:\n  path: out.pcap\n" % fr.WORLD[0])
            p = subprocess.run([fr.FLOWSIEVE, "check-config", named], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("out.pcap: written as pcapng (output.format / --format), but named as classic pcap", p.stdout)

    def test_lookup_names_country_class_and_indicators(self):
        demo = os.path.join(fr.ROOT, "config", "demo.yaml")
        p = subprocess.run([fr.FLOWSIEVE, "lookup", "27.113.248.10", "--config", demo], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"country:\s+JP")
        self.assertRegex(p.stdout, r"class:\s+operator:example-power")
        with open(os.path.join(fr.INDICATORS, "ipsum-level3.txt")) as f:
            indicator = next(l.strip() for l in f if l.strip() and not l.startswith("#"))
        p = subprocess.run([fr.FLOWSIEVE, "lookup", indicator, "--config", demo], capture_output=True, text=True)
        self.assertIn("ipsum", p.stdout)
        p = subprocess.run([fr.FLOWSIEVE, "lookup", "not-an-address", "--config", demo], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
