#!/usr/bin/env python3
"""Checks the Swift engine's answers on the benchmark workloads against the reference (cedarpy
4.12.x): every request, at 100 and 1,000 policies, decision, determining policies and erroring
policies compared as sets.

    .build/release/cedar-bench --emit /tmp/cedar-bench
    .venv/bin/python scripts/cedar_bench_agreement.py /tmp/cedar-bench

`cedar-bench --emit DIR` writes DIR/<workload>/ (entities.json, requests.json, bench-N.cedar and
answers-N.json, the Swift answers). Exit status 0 when every answer agrees.
"""
import importlib.metadata
import json
import os
import re
import sys

import cedarpy


def _error_ids(resp):
    ids = set()
    for e in resp.get("diagnostics", {}).get("errors", []) or []:
        m = re.match(r"^error while evaluating policy `(.+?)`", e)
        if m:
            ids.add(m.group(1))
    return ids


def check(folder):
    with open(os.path.join(folder, "entities.json")) as f:
        ents = cedarpy.Entities.from_json_str(f.read())
    with open(os.path.join(folder, "requests.json")) as f:
        requests = json.load(f)
    total = bad = 0
    for count in (100, 1000):
        with open(os.path.join(folder, "bench-%d.cedar" % count)) as f:
            pset = cedarpy.PolicySet.from_str(f.read())
        with open(os.path.join(folder, "answers-%d.json" % count)) as f:
            answers = json.load(f)
        assert len(answers) == len(requests)
        allows = errs = 0
        for i, (rq, res, swift) in enumerate(zip(requests, cedarpy.is_authorized_batch(requests, pset, ents), answers)):
            resp = res._authz_resp
            ref = {"decision": resp["decision"].lower(), "reason": sorted(resp["diagnostics"].get("reason", []) or []),
                   "errors": sorted(_error_ids(resp))}
            total += 1
            allows += ref["decision"] == "allow"
            errs += bool(ref["errors"])
            if ref != swift:
                bad += 1
                if bad <= 5:
                    print("DISAGREE %s %d policies request %d: %s\n  cedarpy %s\n  swift   %s" % (folder, count, i, json.dumps(rq), ref, swift))
        print("%s, %d policies: %d requests, %d allow, %d with errors (cedarpy %s)"
              % (folder, count, len(requests), allows, errs, importlib.metadata.version("cedarpy")))
    return total, bad


def main(root):
    total = bad = 0
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if os.path.isfile(os.path.join(folder, "answers-100.json")):
            t, b = check(folder)
            total += t
            bad += b
    print("agreement: %d of %d answers agree (%.2f %%)" % (total - bad, total, 100.0 * (total - bad) / max(total, 1)))
    return 0 if bad == 0 and total > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cedar-bench"))
