#!/usr/bin/env python3
"""Times the reference engine (cedarpy 4.12.2, Rust cedar-policy 4.12.0) on the workload that
`tessera cedar bench --emit DIR` writes, for docs/PERFORMANCE.md.

    tessera cedar bench --emit /tmp/bench && python3 scripts/cedar_bench_cedarpy.py /tmp/bench

Also checks that cedarpy's decisions match the Swift engine's allow counts printed by the bench
(compare the "allow" figures by eye).
"""
import json
import statistics
import sys
import time

import cedarpy


def main(folder, limit=5000):
    with open(folder + "/entities.json") as f:
        entities_text = f.read()
    with open(folder + "/requests.json") as f:
        requests = json.load(f)
    n_entities = len(json.loads(entities_text))
    best = min(_timed(lambda: cedarpy.Entities.from_json_str(entities_text)) for _ in range(3))
    print("cedarpy entity store from JSON: %d entities, best of 3 %.1f ms, %d entities/s"
          % (n_entities, best * 1000, n_entities / best))
    ents = cedarpy.Entities.from_json_str(entities_text)
    for count in (100, 1000):
        with open("%s/bench-%d.cedar" % (folder, count)) as f:
            pset = cedarpy.PolicySet.from_str(f.read())
        batch = requests[:limit]
        t0 = time.perf_counter()
        results = cedarpy.is_authorized_batch(batch, pset, ents)
        batch_seconds = time.perf_counter() - t0
        allows = sum(1 for r in results if r.allowed)
        samples = []
        for r in batch[:2000]:
            t = time.perf_counter()
            cedarpy.is_authorized_batch([r], pset, ents)
            samples.append((time.perf_counter() - t) * 1e6)
        print("cedarpy %d policies: %d requests, %d allow, batch mean %.1f µs/request, single-call median %.1f µs"
              % (count, len(batch), allows, batch_seconds / len(batch) * 1e6, statistics.median(samples)))


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench")
