# test_telemetry.py: DPDK telemetry of a running filter (README "Telemetry"): /flowsieve/stats and
# /flowsieve/worker,N over the telemetry socket (AF_UNIX, SOCK_SEQPACKET, JSON) keep invariant 6,
# grow while traffic flows, agree with the exit summary, and a worker that does not exist gets null.
import json
import os
import re
import signal
import socket
import time
import unittest

import flowsieve_run as fr
from test_lifecycle import MAWI, start, wait_for

CATEGORIES = ("transit", "operator", "threat-linked")


def key(name):
    """A summary name as telemetry serves it: DPDK allows only letters, digits, '_' and '/' in names."""
    return name.replace("-", "_")


def config(d, infinite):
    auths = [fr.authorisation("APP-T", "approval", "transit", "2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z")]
    rules = [{"id": "t", "category": "transit", "between": ["foreign", "foreign"], "authorisation": "APP-T"}]
    # A live net_pcap port: without infinite_rx it delivers the capture once and then idles, so the
    # counters come to rest while the filter runs on (the one time a reply is exact).
    vdev = f"--vdev=net_pcap0,rx_pcap={MAWI}" + (",infinite_rx=1" if infinite else "")
    extra = {"dpdk": {"eal": [vdev], "mbufs": 32767, "time_source": "clock"},
             "output": {"path": os.path.join(d, "live.pcapng")}, "stats": {"interval_s": 1}}
    return fr.base_config(d, auths, rules, extra=extra)


def read(path):
    with open(path) as f:
        return f.read()


def telemetry_path(log):
    """The socket the filter announced in its log, or None before it has."""
    with open(log) as f:
        m = re.search(r"telemetry: (\S+dpdk_telemetry\.v2(?::\d+)?) \(", f.read())
    return m.group(1) if m else None


def query(path, command):
    """One request on a fresh connection, as dpdk-telemetry.py makes it: the greeting first, then the reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(10)
        s.connect(path)
        info = json.loads(s.recv(1 << 16))
        s.send(command.encode())
        reply = json.loads(s.recv(info["max_output_len"]))
    name = command.split(",", 1)[0]
    assert list(reply) == [name], reply
    return reply[name]


class Telemetry(unittest.TestCase):
    def setUp(self):
        if not hasattr(socket, "AF_UNIX"):
            self.skipTest("no AF_UNIX sockets here: DPDK telemetry cannot exist")

    def run_filter(self, d, infinite):
        log = os.path.join(d, "stderr.txt")
        p = start(config(d, infinite), log)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.communicate()))
        self.assertTrue(wait_for(lambda: telemetry_path(log) or p.poll() is not None, timeout=60), read(log))
        path = telemetry_path(log)
        self.assertIsNotNone(path, "the filter must announce its telemetry socket:\n" + read(log))
        if os.geteuid() == 0:  # the README's path for the default --file-prefix
            self.assertEqual(path, f"/var/run/dpdk/flowsieve-{p.pid}/dpdk_telemetry.v2")
        return p, log, path

    def assert_balanced(self, s):
        self.assertEqual(sorted(s["emitted"]), sorted(map(key, CATEGORIES)))
        self.assertEqual(s["emitted_total"], sum(s["emitted"].values()))
        self.assertEqual(s["dropped_total"], sum(s["dropped"].values()))
        self.assertEqual(s["received"], s["emitted_total"] + s["dropped_total"], f"invariant 6: {s}")

    def test_stats_at_rest_match_the_exit_summary(self):
        with fr.tmpdir() as d:
            p, log, path = self.run_filter(d, infinite=False)
            # At rest: the whole capture received, every record written, the same figures twice in a
            # row (a pause of the replay between two queries must not pass for the end of it).
            replies, in_capture = [], fr.count_pcap_packets(MAWI)

            def settled():
                replies.append(query(path, "/flowsieve/stats"))
                s = replies[-1]
                return (len(replies) > 1 and s["received"] == in_capture and s == replies[-2] and
                        s["written"] == s["emitted_total"])
            self.assertTrue(wait_for(settled, timeout=60), replies[-1] if replies else "no reply")
            for before, after in zip(replies, replies[1:]):
                self.assertLessEqual(before["received"], after["received"], "counters only grow")
            s = replies[-1]
            self.assert_balanced(s)
            self.assertEqual(s["generation"], 1)
            self.assertEqual(s["write_errors"], 0)
            self.assertGreater(s["emitted"]["transit"], 0)
            self.assertGreater(s["flow_cache_hits"] + s["flow_cache_misses"], 0)

            workers = [query(path, f"/flowsieve/worker,{n}") for n in range(s["workers"])]
            for n, w in enumerate(workers):
                self.assertEqual(w["worker"], n)
                self.assert_balanced(w)
            for name in ("received", "emitted_total", "dropped_total", "flow_cache_hits", "endpoint_cache_misses"):
                self.assertEqual(sum(w[name] for w in workers), s[name], name)
            for reason in s["dropped"]:
                self.assertEqual(sum(w["dropped"][reason] for w in workers), s["dropped"][reason], reason)
            # DPDK's convention for a failed command: the command's name with null.
            for bad in (f"/flowsieve/worker,{s['workers']}", "/flowsieve/worker,99", "/flowsieve/worker",
                        "/flowsieve/worker,x", "/flowsieve/worker,-1"):
                self.assertIsNone(query(path, bad), bad)

            p.send_signal(signal.SIGTERM)
            out, _ = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, read(log))
            # The socket and the EAL runtime directory of the default file-prefix go with the process.
            self.assertFalse(os.path.exists(path), path)
            if path.endswith(f"flowsieve-{p.pid}/dpdk_telemetry.v2"):
                self.assertFalse(os.path.exists(os.path.dirname(path)), "an empty runtime directory left behind")
            summary = fr.parse_summary(out)
            self.assertEqual(summary["received"], s["received"])
            self.assertEqual(summary["exporter written"], s["written"])
            for c in CATEGORIES:
                self.assertEqual(summary[c], s["emitted"][key(c)], c)
            # The same names, from the one drop-reason table: every reason the summary lists, same figures.
            self.assertEqual(s["dropped"], {r: summary.get(r, 0) for r in s["dropped"]})
            not_reasons = {"received", "accounted (emitted + dropped)", "exporter written", "exporter write errors",
                           "lost by the ports (never received)", *CATEGORIES}
            listed = {k for k in summary if k not in not_reasons and not k.startswith(("flow verdicts", "endpoint lookups"))}
            self.assertLessEqual(listed, set(s["dropped"]), "a reason the summary names is missing from telemetry")
            self.assertTrue(any(s["dropped"].values()), "the capture has packets that are dropped")

    def test_stats_grow_under_load(self):
        with fr.tmpdir() as d:
            p, log, path = self.run_filter(d, infinite=True)
            replies = [query(path, "/flowsieve/stats")]

            def grown():
                time.sleep(0.2)
                replies.append(query(path, "/flowsieve/stats"))
                return len(replies) > 4 and replies[-1]["received"] > replies[0]["received"]
            self.assertTrue(wait_for(grown, timeout=60), f"infinite_rx keeps traffic flowing: {replies[-1]}")
            for before, after in zip(replies, replies[1:]):
                for name in ("received", "emitted_total", "dropped_total", "written"):
                    self.assertLessEqual(before[name], after[name], name)
                for reason, v in before["dropped"].items():
                    self.assertLessEqual(v, after["dropped"][reason], reason)
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, read(log))


if __name__ == "__main__":
    unittest.main()
