#!/usr/bin/env python3
"""Compares the pair sets of the spatial-join engines and prints the table.

Usage: compare.py RESULTS_JSONL [--ref postgis] [--target duckdb=2]

RESULTS_JSONL has one JSON line per engine (engine, seconds, pairs, out = its pair file, ...), as
the bench and the peers print them. Every pair set is compared with the reference (PostGIS) and
with Truce's: equal, or how many pairs only one side has. The ratio is engine seconds / Truce
seconds (above 1: Truce is faster). Exits 1 if any pair set differs from the reference.
"""

import argparse
import hashlib
import json
import sys

import numpy as np


def keys(path):
    p = np.fromfile(path, dtype="<u4").reshape(-1, 2)
    return p[:, 0].astype(np.uint64) << np.uint64(32) | p[:, 1].astype(np.uint64)


def diff(a, b):
    """(pairs only in a, pairs only in b); both sorted and distinct."""
    return len(np.setdiff1d(a, b, assume_unique=True)), len(np.setdiff1d(b, a, assume_unique=True))


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def coverage(data, k, ref):
    """How many of the reference pairs cross the antimeridian, lie above 80 N, or pass a pole."""

    def lonlat(name):
        a = np.loadtxt(f"{data}/{name}", delimiter=",", skiprows=1, usecols=(1, 2), ndmin=2)
        return a[:, 0], a[:, 1]

    ilon, ilat = lonlat("incidents.csv")
    slon, slat = lonlat("sites.csv")
    i = (k >> np.uint64(32)).astype(np.int64)
    j = (k & np.uint64(0xFFFFFFFF)).astype(np.int64)
    dlon = np.abs(ilon[i] - slon[j])
    am = int(np.count_nonzero(dlon > 180.0))
    north = int(np.count_nonzero(np.maximum(ilat[i], slat[j]) > 80.0))
    pole = int(np.count_nonzero((np.minimum(ilat[i], slat[j]) > 89.0) & (np.abs(dlon - 180.0) < 90.0)))
    print()
    print(f"{ref} pairs across the antimeridian: {am:,}; above 80 N: {north:,}; over the pole (lon apart > 90 deg): {pole:,}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--ref", default="postgis")
    ap.add_argument("--target", default="duckdb=2", help="engine prefix=minimum ratio to check")
    ap.add_argument("--data", help="data dir: also count the reference pairs on the awkward parts of the sphere")
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.results) if line.strip().startswith("{")]
    by = {r["engine"]: r for r in rows}
    if "truce" not in by:
        sys.exit("compare: no truce result")
    ref = a.ref if a.ref in by else "truce"
    ks = {}
    for r in rows:
        k = keys(r["out"])
        if len(k) != r["pairs"] or np.any(k[1:] <= k[:-1]):
            sys.exit(f"compare: {r['out']}: not {r['pairs']} sorted distinct pairs")
        ks[r["engine"]] = k
    t_truce = by["truce"]["seconds"]

    print(f"{'engine':<15} {'seconds':>9} {'pairs':>11} {'ratio':>7}  {'vs ' + ref:<24} {'vs truce':<24} sha256(pairs)")
    bad = 0
    for r in rows:
        e = r["engine"]
        cells = []
        for other in (ref, "truce"):
            if other == e:
                cells.append("(reference)" if other == ref else "-")
                continue
            x, y = diff(ks[e], ks[other])
            if x == 0 and y == 0:
                cells.append("equal")
            else:
                cells.append(f"DIFFER +{x} -{y}")
                if other == ref:
                    bad += 1
        ratio = r["seconds"] / t_truce if t_truce > 0 else float("inf")
        print(f"{e:<15} {r['seconds']:>9.3f} {r['pairs']:>11,} {ratio:>7.2f}  {cells[0]:<24} {cells[1]:<24} {sha(r['out'])[:16]}")
    print()
    print(f"ratio = engine seconds / truce seconds (above 1: truce faster); +x -y = pairs only in the engine / only in {ref}")
    if ref != a.ref:
        print(f"note: no {a.ref} result; compared with truce only")

    # details
    print()
    for r in rows:
        extra = {k: v for k, v in r.items() if k not in ("engine", "seconds", "pairs", "sha256", "out")}
        print(f"{r['engine']}: " + ", ".join(f"{k}={v}" for k, v in extra.items()))

    if a.data:
        coverage(a.data, ks[ref], ref)

    prefix, _, want = a.target.partition("=")
    peers = [r for r in rows if r["engine"].startswith(prefix)]
    if peers:
        best = min(peers, key=lambda r: r["seconds"])
        ratio = best["seconds"] / t_truce
        verdict = "met" if ratio >= float(want) else "NOT met"
        print()
        print(
            f"target: truce at least {want}x faster than {prefix} (best variant, {best['engine']} {best['seconds']:.3f} s): "
            f"{ratio:.2f}x, {verdict}"
        )
    print()
    if bad:
        print(f"pair sets: {bad} engine(s) DIFFER from {ref}")
        sys.exit(1)
    print(f"pair sets: all {len(rows)} equal to {ref}'s ({by[ref]['pairs']:,} pairs)")


if __name__ == "__main__":
    main()
