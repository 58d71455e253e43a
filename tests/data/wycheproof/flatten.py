#!/usr/bin/env python3
"""flatten.py: writes ed25519_test.txt, a flat form of Wycheproof's ed25519_test.json.

The C++ test reads the flat file so the project needs no JSON library for it. Run this after
replacing the JSON file, and commit both:

    python3 tests/data/wycheproof/flatten.py

One line per vector: tcId result flags public-key message signature (hex, '-' when empty; flags
joined by commas). A 'tests N' line gives the count, so a cut-off file is noticed.
"""
import json
import pathlib
import sys

here = pathlib.Path(__file__).resolve().parent
source = here / "ed25519_test.json"
target = here / "ed25519_test.txt"

doc = json.loads(source.read_text())
rows = []
for group in doc["testGroups"]:
    pk = group["publicKey"]["pk"]
    for t in group["tests"]:
        flags = ",".join(t["flags"]) or "-"
        rows.append(f'{t["tcId"]} {t["result"]} {flags} {pk or "-"} {t["msg"] or "-"} {t["sig"] or "-"}')

if len(rows) != doc["numberOfTests"]:
    sys.exit(f"{source.name}: numberOfTests is {doc['numberOfTests']} but it holds {len(rows)} tests")

target.write_text(
    "# Flat form of ed25519_test.json (Wycheproof), written by flatten.py: do not edit by hand.\n"
    "# tcId result flags public-key message signature (hex; '-' when empty)\n"
    f"tests {len(rows)}\n" + "\n".join(rows) + "\n")
print(f"{target.name}: {len(rows)} vectors")
