# test_oversight_end_to_end.py: signed authorisations through the real CLI and the real binary.
# Keys are made and files signed with `flowsieve authority keygen|sign`; a crafted capture (real
# addresses of the world table, packet times chosen here) is run with an oversight section. Every
# kind of bad authorisation is refused with its own message, nothing is emitted under it, the valid
# ones still emit; an authorisation that expires between two packets stops at the right packet.
import decimal
import json
import os
import re
import struct
import subprocess
import time
import unittest

from scapy.all import IP, TCP, Ether, Raw

import flowsieve_run as fr

DAY = 86400
# Times follow the wall clock: expiry is judged against it at start, emission against packet times.
NOW = int(time.time())
T0 = NOW - 30 * DAY  # the capture of the refusal test: well inside the valid windows, long expired ones aside
COMMISSION = ("commission-1", "commission-2", "commission-3")


def read(path):
    with open(path) as f:
        return f.read()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def authority(*args):
    p = subprocess.run([fr.FLOWSIEVE, "authority", *args], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def pkt(src, dst, sport, dport, t):
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src, dst=dst) / \
        TCP(sport=sport, dport=dport, flags="A") / Raw(fr.MARKER)
    p.time = t
    return p


class Oversight:
    """A temp dir with keys (three commission members, an operator, an outsider, the filter's own),
    one indicator set per authorisation (each with its own foreign address, so every rule sees only
    its own traffic and a refused rule cannot fall through to another) and signed files."""

    def __init__(self, d):
        self.d = d
        self.keys = os.path.join(d, "keys")
        for k in COMMISSION + ("power-1", "outsider", "filter-1"):
            rc, out = authority("keygen", "--id", k, "--out", self.keys)
            assert rc == 0, out
        self.state = os.path.join(d, "state", "serials.txt")
        self.audit = os.path.join(d, "audit.log")
        w = fr.world()
        self.jp = w.address_in("JP")
        self.foreign = {}  # authorisation id -> its foreign address
        self.sets = []

    def key(self, k):
        return os.path.join(self.keys, k + ".key")

    def address(self, auth_id):
        if auth_id not in self.foreign:
            self.foreign[auth_id] = fr.world().address_in("US", nth=len(self.foreign))
            name = "set-" + auth_id.lower()
            path = os.path.join(self.d, name + ".txt")
            with open(path, "w") as f:
                f.write(self.foreign[auth_id] + "\n")
            self.sets.append({"name": name, "file": path})
        return self.foreign[auth_id]

    def approval(self, auth_id, valid_from, valid_until, signers, serial=1, name=None):
        """Writes and signs (with the real CLI) an approval covering this id's indicator set."""
        self.address(auth_id)
        a = fr.authorisation(auth_id, "approval", "threat-linked", iso(valid_from), iso(valid_until),
                             scope={"indicator_sets": ["set-" + auth_id.lower()]}, serial=serial)
        path = os.path.join(self.d, (name or auth_id) + ".yaml")
        fr.write_authorisation(path, a)
        for k in signers:
            rc, out = authority("sign", path, "--key", self.key(k))
            assert rc == 0, out
        return path

    def revocation(self, auth_id, serial, signers):
        path = os.path.join(self.d, "revoke-" + auth_id + ".yaml")
        with open(path, "w") as f:
            f.write(f"kind: revocation\nid: {auth_id}\nserial: {serial}\nissued_at: {iso(NOW - DAY)}\n")
        for k in signers:
            rc, out = authority("sign", path, "--key", self.key(k))
            assert rc == 0, out
        return path

    def config(self, files, ids, revocations=()):
        rules = [{"id": "r-" + i.lower(), "category": "threat-linked", "between": ["foreign", "domestic"],
                  "indicator_sets": ["set-" + i.lower()], "authorisation": i} for i in ids]
        trusted = [{"id": k, "file": os.path.join(self.keys, k + ".pub"), "role": "commission"} for k in COMMISSION]
        trusted.append({"id": "power-1", "file": os.path.join(self.keys, "power-1.pub"), "role": "operator",
                        "operator": "power"})
        extra = {"oversight": {"require_signatures": "true", "approval_quorum": 2, "trusted_keys": trusted,
                               "state_file": self.state, "revocations": list(revocations)},
                 "audit": {"log": self.audit, "key": self.key("filter-1"), "checkpoint_every": 8}}
        return fr.base_config(self.d, files, rules, indicators=self.sets,
                              operators=[{"id": "power", "prefixes": ["27.113.248.0/22"]}], extra=extra)

    def capture(self, name, times_by_id):
        """Each id's packets (its foreign address <-> a JP address, both directions) at the given times,
        all ids interleaved in time order; returns the path and {id: [times in ns, in order]}."""
        frames = []
        for auth_id, times in times_by_id.items():
            f = self.address(auth_id)
            for n, t in enumerate(times):
                src, dst = (f, self.jp) if n % 2 == 0 else (self.jp, f)
                frames.append((decimal.Decimal(t), auth_id, pkt(src, dst, 40000 + n, 443, t)))
        frames.sort(key=lambda x: x[0])
        path = os.path.join(self.d, name)
        write_pcap_ns(path, [(int(t * 10**9), bytes(p)) for t, _, p in frames])
        sent = {}
        for t, auth_id, _ in frames:
            sent.setdefault(auth_id, []).append(int(t * 10**9))
        return path, sent


def write_pcap_ns(path, frames):
    """A nanosecond pcap of (time ns, frame bytes): scapy's writer rounds the seconds through a float,
    which moves a packet 1 ns before a whole second to the next second."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1))
        for t_ns, data in frames:
            f.write(struct.pack("<IIII", t_ns // 10**9, t_ns % 10**9, len(data), len(data)) + data)


def emitted_by_auth(output):
    """Authorisation id -> capture times (ns) of the records the pcapng comments put under it."""
    out = {}
    for t_ns, _, _, comment in fr.records(output):
        out.setdefault(fr.comment_fields(comment)["auth"], []).append(t_ns)
    return out


def message_shape(message):
    """A refusal message without what varies from file to file: the reason's wording alone."""
    message = re.sub(r"'[^' ]*'", "''", message)
    message = re.sub(r"/\S+", "PATH", message)
    message = re.sub(r"\d{4}-\d\d-\d\dT\S+Z", "TIME", message)
    return re.sub(r"\d+", "N", message)


# The refusal cases: id -> (the reason verify names, text the run's refusal line must hold).
REFUSED = {
    "APP-FORGED": ("bad signature", "refused: bad signature by key 'commission-2'"),
    "APP-TAMPERED": ("bad signature", "refused: bad signature by key 'commission-1'"),
    "APP-UNKNOWN": ("unknown key", "refused: signed by unknown key 'outsider'"),
    "APP-OPKEY": ("key out of scope", "refused: out of scope: key 'power-1' is operator 'power''s key"),
    "APP-QUORUM": ("short of quorum", "refused: short of quorum: 1 of 2 required commission signatures"),
    "APP-REVOKED": ("revoked", "refused: revoked by "),
    "APP-REPLAY": ("replayed", "refused: serial 3 is older than serial 5 already accepted"),
    "APP-EARLY": ("not yet valid", "not valid before " + iso(NOW + DAY)),
    "APP-EXPIRED": ("expired", "refused: expired at " + iso(NOW - DAY)),
}


class OversightEndToEnd(unittest.TestCase):
    def test_each_bad_authorisation_is_refused_with_its_own_message_and_emits_nothing(self):
        with fr.tmpdir() as d:
            o = Oversight(d)
            quorum = ["commission-1", "commission-2"]  # approval_quorum is 2 of the 3 members
            window = (T0 - DAY, NOW + 365 * DAY)
            ok = o.approval("APP-OK", *window, ["commission-1", "commission-3"])

            # First run: APP-REPLAY at serial 5 is accepted and the state file keeps serial 5.
            replay_new = o.approval("APP-REPLAY", *window, quorum, serial=5, name="APP-REPLAY-5")
            ids = ["APP-OK", "APP-REPLAY"]
            cap, _ = o.capture("first.pcap", {i: [T0 + k for k in range(3)] for i in ids})
            r = fr.run(o.config([ok, replay_new], ids), [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertEqual({k: len(v) for k, v in emitted_by_auth(r.output).items()}, {"APP-OK": 3, "APP-REPLAY": 3})
            with open(o.state) as f:
                self.assertRegex(f.read(), r"(?m)^APP-REPLAY 5 [0-9a-f]{64}$")

            files = [ok]
            # Forged: commission-2's signature bytes taken from another message (APP-OK's own).
            forged = o.approval("APP-FORGED", *window, quorum)
            ok_sig = re.search(r"- key: commission-3\n    sig: (\S+)", read(ok)).group(1)
            text = read(forged)
            text, n = re.subn(r"(- key: commission-2\n    sig: )\S+", lambda m: m.group(1) + ok_sig, text)
            self.assertEqual(n, 1)
            with open(forged, "w") as f:
                f.write(text)
            files.append(forged)
            # Tampered: the validity extended by a year after both signed.
            tampered = o.approval("APP-TAMPERED", *window, quorum)
            text = read(tampered)
            self.assertIn(f'valid_until: "{iso(window[1])}"', text)
            with open(tampered, "w") as f:
                f.write(text.replace(iso(window[1]), iso(window[1] + 365 * DAY)))
            files.append(tampered)
            # Wrong keys: a full quorum plus an untrusted key; a full quorum plus an operator's key.
            files.append(o.approval("APP-UNKNOWN", *window, quorum + ["outsider"]))
            files.append(o.approval("APP-OPKEY", *window, quorum + ["power-1"]))
            files.append(o.approval("APP-QUORUM", *window, quorum[:1]))
            files.append(o.approval("APP-REVOKED", *window, quorum, serial=2))
            revocation = o.revocation("APP-REVOKED", 2, quorum)
            # Replayed: an older copy (serial 3, validly signed) after serial 5 was accepted.
            files.append(o.approval("APP-REPLAY", *window, quorum, serial=3))
            files.append(o.approval("APP-EARLY", NOW + DAY, NOW + 365 * DAY, quorum))
            # Expired at start although the capture's packet times lie inside its window.
            files.append(o.approval("APP-EXPIRED", T0 - DAY, NOW - DAY, quorum))

            ids = ["APP-OK"] + list(REFUSED)
            cfg = o.config(files, ids, revocations=[revocation])
            # `authority verify --config` gives each refusal its reason (and reads the state, changing nothing).
            for path, i in zip(files, ids):
                rc, out = authority("verify", path, "--config", cfg)
                with self.subTest(verify=i):
                    if i == "APP-OK":
                        self.assertEqual(rc, 0, out)
                        self.assertIn(f"authorisation {i}: valid", out)
                    elif i == "APP-EARLY":  # reported; its window opens by itself at valid_from
                        self.assertEqual(rc, 0, out)
                        self.assertIn(f"authorisation {i}: valid, not valid before {iso(NOW + DAY)}", out)
                    else:
                        self.assertEqual(rc, 1, out)
                        self.assertIn(f"authorisation {i}: REFUSED ({REFUSED[i][0]}): ", out)

            cap, sent = o.capture("second.pcap", {i: [T0 + 10 + k for k in range(3)] for i in ids})
            r = fr.run(cfg, [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            lines = r.stderr.splitlines()
            messages = {}
            for i, (_, text) in REFUSED.items():
                mine = [l for l in lines if f"authorisation {i} " in l]
                with self.subTest(refused=i):
                    self.assertEqual(len(mine), 1, "\n".join(mine) or r.stderr)
                    self.assertIn(text, mine[0])
                    messages[i] = mine[0].split(f"authorisation {i} ", 1)[1]
            # Each case's message is its own. With names, paths, times and numbers taken out, only
            # forged and tampered read alike: a signature that does not verify cannot tell which of
            # the two happened (Ed25519 verification is yes or no).
            self.assertEqual(len(set(messages.values())), len(REFUSED))
            shapes = {i: message_shape(m) for i, m in messages.items()}
            self.assertEqual(shapes["APP-FORGED"], shapes["APP-TAMPERED"])
            self.assertEqual(len(set(shapes.values())), len(REFUSED) - 1, "\n".join(shapes.values()))

            # Nothing runs under a refused authorisation; the valid one emits every one of its packets.
            emitted = emitted_by_auth(r.output)
            self.assertEqual(emitted, {"APP-OK": sent["APP-OK"]})
            refused_packets = sum(len(sent[i]) for i in REFUSED)
            self.assertEqual(r.count("unauthorised"), refused_packets)
            self.assertEqual(r.count("received"), refused_packets + len(sent["APP-OK"]))
            # The rollback state keeps serial 5 (a refused copy never lowers it).
            with open(o.state) as f:
                self.assertRegex(f.read(), r"(?m)^APP-REPLAY 5 [0-9a-f]{64}$")

            # The audit log records each refusal with the same message; the accepted ones as accepted.
            entries = fr.audit_entries(o.audit)
            last_gen = [e for e in entries if e["type"] in ("authorisation_accepted", "authorisation_refused")][-len(ids):]
            by_id = {e["id"]: e for e in last_gen}
            self.assertEqual(by_id["APP-OK"]["type"], "authorisation_accepted")
            self.assertEqual(by_id["APP-EARLY"]["type"], "authorisation_accepted")
            for i in REFUSED:
                if i == "APP-EARLY":
                    continue
                with self.subTest(audit=i):
                    self.assertEqual(by_id[i]["type"], "authorisation_refused")
                    self.assertTrue(any(messages[i] in why for why in by_id[i]["reasons"]), by_id[i])
            p = subprocess.run([fr.FLOWSIEVE, "audit", "verify", o.audit], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

            # An untrusted revocation refuses the whole config in check-config and run, so `authority
            # verify --config` calls nothing of it valid either (it ignored the revocation and said valid).
            weak = o.revocation("APP-OK", 1, quorum[:1])
            cfg = o.config(files, ids, revocations=[weak])
            rc, out = authority("verify", files[0], "--config", cfg)
            self.assertEqual(rc, 1, out)
            self.assertIn("revocation of APP-OK refused: short of quorum: 1 of 2", out)
            self.assertNotIn("valid", out.replace("REFUSED", ""))
            p = subprocess.run([fr.FLOWSIEVE, "check-config", cfg], capture_output=True, text=True)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)

    def test_expiry_between_two_packets_stops_emission_at_the_right_packet(self):
        with fr.tmpdir() as d:
            o = Oversight(d)
            signers = ["commission-1", "commission-3"]
            until = NOW + 3600  # valid at start (wall clock); the capture's packets straddle it
            mid = o.approval("APP-MID", NOW - DAY, until, signers)
            ok = o.approval("APP-OK", NOW - DAY, NOW + 365 * DAY, signers)
            ns = decimal.Decimal("1e-9")
            offsets = [-2, -1, -ns, 0, ns, 1, 2]  # seconds from valid_until (exclusive)
            times = [until + x for x in offsets]
            cap, sent = o.capture("straddle.pcap", {"APP-MID": times, "APP-OK": times})
            r = fr.run(o.config([mid, ok], ["APP-MID", "APP-OK"]), [cap])
            self.assertEqual(r.rc, 0, r.stderr)
            self.assertNotIn("refused", r.stderr)
            emitted = emitted_by_auth(r.output)
            until_ns = until * 10**9
            before = [t for t in sent["APP-MID"] if t < until_ns]
            self.assertEqual(before[-1], until_ns - 1, "the capture must carry nanosecond times")
            # [valid_from, valid_until): the last packet under it is the last one before until, to the ns.
            self.assertEqual(emitted["APP-MID"], before)
            self.assertEqual(emitted["APP-MID"][-1], until_ns - 1)
            self.assertFalse([t for t in emitted["APP-MID"] if t >= until_ns], "nothing at or after valid_until")
            self.assertEqual(r.count("unauthorised"), len(sent["APP-MID"]) - len(before))
            # The other authorisation runs on through the same capture: no restart, no stop.
            self.assertEqual(emitted["APP-OK"], sent["APP-OK"])


def authority_from_pipe(text, *args):
    """`flowsieve authority VERB /dev/fd/N ...` with the file's text in a pipe (as `<(...)` gives it):
    it can be read once only."""
    r, w = os.pipe()
    p = subprocess.Popen([fr.FLOWSIEVE, "authority", args[0], f"/dev/fd/{r}", *args[1:]], pass_fds=(r,),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    os.close(r)
    try:
        with os.fdopen(w, "w") as f:
            f.write(text)
    except BrokenPipeError:  # it refused the command without reading
        pass
    out, _ = p.communicate(timeout=60)
    return p.returncode, out


class SerialState(unittest.TestCase):
    def test_only_run_records_accepted_serials(self):
        """check-config and lookup judge a config without recording its serials, and a run records them
        only once its data path runs: a candidate's newer serial recorded by check-config, or by a start
        that failed, made the config in use refused as replayed at its next start."""
        with fr.tmpdir() as d:
            cfg = fr.demo_config(d)
            state = os.path.join(d, "state", "serials.txt")
            p = subprocess.run([fr.FLOWSIEVE, "check-config", cfg], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            p = subprocess.run([fr.FLOWSIEVE, "lookup", "8.8.8.8", "--config", cfg], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertFalse(os.path.exists(state), "check-config and lookup record nothing")
            # Nor does a run whose data path never starts (here: no input and no port).
            r = fr.run(cfg, [])
            self.assertEqual(r.rc, 1, r.stderr)
            self.assertIn("no DPDK ports", r.stderr)
            self.assertFalse(os.path.exists(state), "a run that never started records nothing")
            cap = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")
            r = fr.run(cfg, [cap], timeout=300)
            self.assertEqual(r.rc, 0, r.stderr)
            with open(state) as f:
                self.assertIn("APP-2026-001 ", f.read(), "run records the serials it accepted")

    def test_a_run_whose_serials_cannot_be_saved_does_not_start(self):
        """The first generation's serials are saved before any packet is judged; a state file that
        cannot be written (here one /proc will not create) refuses the start: nothing is filtered
        under authorisations whose serials later runs would not know."""
        with fr.tmpdir() as d:
            cfg = fr.demo_config(d)
            with open(cfg) as f:
                c = json.load(f)  # demo_config writes JSON, which YAML reads
            c["oversight"]["state_file"] = f"/proc/self/flowsieve-serials-{os.getpid()}.txt"
            with open(cfg, "w") as f:
                json.dump(c, f)
            cap = os.path.join(fr.ROOT, "tests", "data", "pcap", "backbone", "mawi-202010011400-10k.pcap")
            r = fr.run(cfg, [cap], timeout=300)
            self.assertEqual(r.rc, 1, r.stderr)
            self.assertIn("oversight.state_file: the accepted serials cannot be saved", r.stderr)
            self.assertEqual(r.count("received"), 0, "no packet judged")
            self.assertFalse(os.path.exists(os.path.join(d, "out", "run.pcapng")), "no output")
            stop = [e for e in fr.audit_entries(os.path.join(d, "audit.log")) if e["type"] == "stop"]
            self.assertEqual(len(stop), 1)
            self.assertIn("error: oversight.state_file: the accepted serials cannot be saved", stop[0]["reason"])


class AuthorityFileReadOnce(unittest.TestCase):
    """`authority sign` signs what it parsed and writes back that same text: one read of the file. A
    second read (the file changed meanwhile, or a pipe, now empty) would sign one document and write
    another, or fail."""

    def test_sign_and_verify_a_file_given_as_a_pipe(self):
        with fr.tmpdir() as d:
            keys = os.path.join(d, "keys")
            rc, out = authority("keygen", "--id", "commission-1", "--out", keys)
            self.assertEqual(rc, 0, out)
            src = os.path.join(d, "a.yaml")
            fr.write_authorisation(src, fr.authorisation("APP-PIPE", "approval", "threat-linked", iso(NOW - DAY),
                                                          iso(NOW + DAY), scope={"indicator_sets": ["s"]}))
            signed = os.path.join(d, "signed.yaml")
            # Without --out the signed text would replace the file: a pipe cannot take it.
            rc, out = authority_from_pipe(read(src), "sign", "--key", os.path.join(keys, "commission-1.key"))
            self.assertEqual(rc, 1, out)
            self.assertRegex(out, r"^/dev/fd/\d+: not a regular file \(a pipe\?\), so the signed file cannot replace it: give --out FILE")
            rc, out = authority_from_pipe(read(src), "sign", "--key", os.path.join(keys, "commission-1.key"),
                                          "--out", signed)
            self.assertEqual(rc, 0, out)
            self.assertIn("authorisation APP-PIPE signed by key commission-1 (1 signature)", out)
            self.assertTrue(read(signed).startswith(read(src)), "the text read is the text written back")
            rc, out = authority("verify", signed, "--keys", keys)
            self.assertEqual(rc, 0, out)
            self.assertIn("all signatures valid", out)
            rc, out = authority_from_pipe(read(signed), "verify", "--keys", keys)
            self.assertEqual(rc, 0, out)
            self.assertIn("all signatures valid", out)

            revocation = "kind: revocation\nid: APP-PIPE\nserial: 1\nissued_at: " + iso(NOW) + "\n"
            rc, out = authority_from_pipe(revocation, "sign", "--key", os.path.join(keys, "commission-1.key"),
                                          "--out", signed)
            self.assertEqual(rc, 0, out)
            self.assertIn("revocation of APP-PIPE signed by key commission-1", out)


if __name__ == "__main__":
    unittest.main()
